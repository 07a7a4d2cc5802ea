/**
 * Validators and conditional requests (RFC 9110 §8.8 and §13), evaluated in the RFC's order:
 * If-Match, else If-Unmodified-Since (412); If-None-Match, else If-Modified-Since (304 for GET/HEAD);
 * then If-Range decides whether a Range header counts at all.
 */
import { type IncomingHttpHeaders } from 'node:http'

export interface Validators {
  /** Strong entity tag, quoted. */
  etag: string
  /** Last modification, whole seconds since the epoch ×1000 (HTTP dates have no sub-second part). */
  lastModifiedMs: number
  /** The same as an HTTP date. */
  lastModified: string
}

/**
 * Strong ETag from size and modification time to the microsecond: any write that changes either
 * changes the tag, and it costs no read of the file (as nginx does, with a finer clock).
 */
export function validatorsFor(stat: { size: number; mtimeMs: number }): Validators {
  const lastModifiedMs = Math.floor(stat.mtimeMs / 1000) * 1000
  return {
    etag: `"${stat.size.toString(16)}-${Math.round(stat.mtimeMs * 1000).toString(16)}"`,
    lastModifiedMs,
    lastModified: new Date(lastModifiedMs).toUTCString(),
  }
}

export type Precondition = 'proceed' | 'not-modified' | 'failed'

const ENTITY_TAG = /(W\/)?"[^"]*"/g

/** The entity tags of a list header, or '*' for the wildcard. */
function entityTags(header: string): string[] | '*' {
  if (header.trim() === '*') return '*'
  return header.match(ENTITY_TAG) ?? []
}

const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag)

/** Strong comparison: both tags strong and identical. */
export function strongMatch(header: string, etag: string): boolean {
  const tags = entityTags(header)
  return tags === '*' || tags.some((t) => !t.startsWith('W/') && t === etag)
}

/** Weak comparison: the opaque parts are identical, W/ or not. */
export function weakMatch(header: string, etag: string): boolean {
  const tags = entityTags(header)
  const mine = opaque(etag)
  return tags === '*' || tags.some((t) => opaque(t) === mine)
}

const ASCTIME = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/

/** An HTTP date in milliseconds, or undefined for anything that is not one. */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined || value.length > 64) return undefined
  // asctime dates carry no zone; HTTP dates are always GMT, whatever the machine's zone.
  const ms = Date.parse(ASCTIME.test(value) ? `${value} GMT` : value)
  return Number.isNaN(ms) ? undefined : ms
}

const single = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(', ') : v)

/** RFC 9110 §13.2.2 steps 1–4 for a GET or HEAD of an existing file. */
export function evaluatePreconditions(headers: IncomingHttpHeaders, v: Validators): Precondition {
  const ifMatch = single(headers['if-match'])
  if (ifMatch !== undefined) {
    if (!strongMatch(ifMatch, v.etag)) return 'failed'
  } else {
    const since = parseHttpDate(single(headers['if-unmodified-since']))
    if (since !== undefined && v.lastModifiedMs > since) return 'failed'
  }
  const ifNoneMatch = single(headers['if-none-match'])
  if (ifNoneMatch !== undefined) {
    if (weakMatch(ifNoneMatch, v.etag)) return 'not-modified'
  } else {
    const since = parseHttpDate(single(headers['if-modified-since']))
    if (since !== undefined && v.lastModifiedMs <= since) return 'not-modified'
  }
  return 'proceed'
}

/**
 * Whether a Range header may be honoured: true without If-Range; with one, only when it names the
 * current representation (an ETag by strong comparison, or exactly the Last-Modified date).
 */
export function ifRangeAllows(headers: IncomingHttpHeaders, v: Validators): boolean {
  const ifRange = single(headers['if-range'])
  if (ifRange === undefined) return true
  const value = ifRange.trim()
  if (value.startsWith('"') || value.startsWith('W/')) return !value.startsWith('W/') && value === v.etag
  const date = parseHttpDate(value)
  return date !== undefined && date === v.lastModifiedMs
}
