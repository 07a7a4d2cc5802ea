/** Small helpers for reading bounded HTTP bodies from undici and checking them against schemas. */
import { type TSchema, type Static } from 'typebox'
import Value from 'typebox/value'
import { ProtocolError, RuntimeError } from './errors.js'

export type Headers = Record<string, string | string[] | undefined>

/** Read a whole body, failing once it grows past `maxBytes` (the rest is not read). */
export async function readBounded(body: AsyncIterable<Buffer | Uint8Array> & { destroy?: (err?: Error) => void }, maxBytes: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > maxBytes) {
      const err = new ProtocolError(`${what} is larger than ${maxBytes} bytes`)
      body.destroy?.(err)
      throw err
    }
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
  }
  return Buffer.concat(chunks, size)
}

/** Drain and drop a body we do not need, so the connection can be reused. */
export async function discard(body: { dump?: (opts?: { limit: number }) => Promise<void>; destroy?: () => void }): Promise<void> {
  try {
    if (body.dump) await body.dump({ limit: 64 * 1024 })
    else body.destroy?.()
  } catch {
    // nothing to do: the body is gone either way
  }
}

/** Parse JSON and check it against a schema; errors name the first offending field. */
export function parseJson<T extends TSchema>(schema: T, bytes: Buffer, what: string): Static<T> {
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw new ProtocolError(`${what} is not valid JSON`, { cause: err })
  }
  if (!Value.Check(schema, value)) {
    const first = [...Value.Errors(schema, value)][0]
    throw new ProtocolError(`${what} does not follow the protocol: ${first?.instancePath || '/'} ${first?.message ?? 'is invalid'}`)
  }
  return value as Static<T>
}

/** `{ error, message }` from an error body, when it is one. */
export function parseErrorBody(bytes: Buffer): { error: string; message: string } | undefined {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as unknown
    if (value && typeof value === 'object' && typeof (value as { error?: unknown }).error === 'string') {
      const { error, message } = value as { error: string; message?: unknown }
      return { error: error.slice(0, 64), message: typeof message === 'string' ? message.slice(0, 2048) : error }
    }
  } catch {
    // not JSON: the caller falls back to the status code
  }
  return undefined
}

export function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()]
  return Array.isArray(value) ? value[0] : value
}

/** `Retry-After` as milliseconds (delta-seconds or an HTTP date), capped at an hour. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined
  const trimmed = value.trim()
  let ms: number
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000
  else {
    const date = Date.parse(trimmed)
    if (Number.isNaN(date)) return undefined
    ms = date - now
  }
  return Math.min(Math.max(ms, 0), 60 * 60 * 1000)
}

/** The target of `Link: <…>; rel="next"`, if any. */
export function parseNextLink(value: string | undefined): string | undefined {
  if (!value) return undefined
  for (const part of value.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part)
    if (!match) continue
    const params = match[2] ?? ''
    if (/;\s*rel\s*=\s*("[^"]*\bnext\b[^"]*"|next)(\s*;|\s*$)/i.test(params)) return match[1]
  }
  return undefined
}

/** Encode a share path for a URL: each segment percent-encoded, joined with '/'. */
export function encodeSharePath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/')
}

/**
 * A share path as the user or the UI gives it (`/notes/plan.md`, `notes/`, `` for the root) in the
 * canonical form the peer server expects: no leading or trailing slash. The remote server guards its own
 * root; this refuses early what can only be a mistake or an attack: NUL, backslashes, `.`/`..`, empty segments.
 */
export function normalizeSharePath(input: string): string {
  if (input.length > 4096) throw new RuntimeError('invalid_path', 'the path is longer than 4096 characters')
  const trimmed = input.replace(/^\/+/, '').replace(/\/+$/, '')
  if (trimmed === '') return ''
  if (/[\0\\]/.test(trimmed)) throw new RuntimeError('invalid_path', `invalid path ${JSON.stringify(input)}: no NUL or backslash`)
  for (const segment of trimmed.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new RuntimeError('invalid_path', `invalid path ${JSON.stringify(input)}: empty, "." and ".." segments are not allowed`)
    }
  }
  return trimmed
}
