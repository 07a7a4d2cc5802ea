/**
 * The Range header (RFC 9110 §14), parsed against a file size.
 *
 * Written here rather than taken from `range-parser` because the RFC's distinction matters and that
 * package blurs it: a *syntactically invalid* header (unknown unit, `5-2`, garbage) is ignored and the
 * whole file is sent (200), while a *valid but unsatisfiable* one (every range past the end) is 416.
 * Like nginx, a set of several ranges that together ask for more bytes than the file has is ignored
 * (a classic amplification attack), as is an empty file's range (there is nothing to slice), and
 * ranges are served in the order asked, never merged.
 */
import { PEER_MAX_RANGES } from '@flashback/protocol'

/** Inclusive byte positions, as Content-Range writes them. */
export interface ByteRange {
  start: number
  end: number
}

export type RangeRequest =
  /** No Range header, or one to ignore: send the whole file with 200. */
  | { kind: 'whole' }
  /** 416 with `Content-Range: bytes *\/size`. */
  | { kind: 'unsatisfiable' }
  /** 206: one range, or several as multipart/byteranges. */
  | { kind: 'ranges'; ranges: ByteRange[] }

const WHOLE: RangeRequest = { kind: 'whole' }
const UNSATISFIABLE: RangeRequest = { kind: 'unsatisfiable' }
const RANGE_SPEC = /^(\d*)-(\d*)$/
// A token, as RFC 9110 defines range units; compared case-insensitively.
const UNIT = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

// The form range clients send nearly always: one closed range, no spaces. Same answers, less work.
const SIMPLE = /^bytes=(\d{1,15})-(\d{1,15})$/

export function parseRange(header: string | undefined, size: number, maxRanges = PEER_MAX_RANGES): RangeRequest {
  if (header === undefined) return WHOLE
  const simple = SIMPLE.exec(header)
  if (simple !== null && maxRanges >= 1) {
    const start = Number(simple[1])
    const last = Number(simple[2])
    if (last < start || size === 0) return WHOLE
    if (start >= size) return UNSATISFIABLE
    return { kind: 'ranges', ranges: [{ start, end: Math.min(last, size - 1) }] }
  }
  const eq = header.indexOf('=')
  if (eq < 0) return WHOLE
  const unit = header.slice(0, eq).trim()
  if (!UNIT.test(unit) || unit.toLowerCase() !== 'bytes') return WHOLE
  // RFC 9110 §5.6.1: a list may carry empty elements and optional whitespace around commas.
  const specs = header
    .slice(eq + 1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (specs.length === 0 || specs.length > maxRanges) return WHOLE

  const ranges: ByteRange[] = []
  for (const spec of specs) {
    const m = RANGE_SPEC.exec(spec)
    if (!m) return WHOLE
    const first = m[1] ?? ''
    const last = m[2] ?? ''
    if (first === '' && last === '') return WHOLE
    if (first === '') {
      // Suffix range: the last N bytes; N = 0 asks for nothing and is unsatisfiable.
      const n = Number(last)
      if (n > 0 && size > 0) ranges.push({ start: Math.max(0, size - n), end: size - 1 })
      continue
    }
    const start = Number(first)
    if (last !== '' && Number(last) < start) return WHOLE
    if (start >= size) continue
    const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
    ranges.push({ start, end })
  }

  if (size === 0) return WHOLE
  if (ranges.length === 0) return UNSATISFIABLE
  if (ranges.length > 1) {
    let total = 0
    for (const r of ranges) total += r.end - r.start + 1
    if (total > size) return WHOLE
  }
  return { kind: 'ranges', ranges }
}
