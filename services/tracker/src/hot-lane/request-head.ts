/**
 * The request heads the hot lane serves itself: a strict subset of HTTP/1.1 (RFC 9112) that Node's
 * own parser (llhttp) reads the same way. Anything outside it (another method or version, a
 * transfer coding, an upgrade, a folded or odd header, a byte outside visible ASCII, a repeated
 * framing header) is not an error here but "not mine": the lane hands the connection, bytes and all,
 * to Node's HTTP server and Fastify, which answer it as they answer everything else. So this parser
 * never has to decide an edge case; it only has to never accept what llhttp would read differently.
 */

export interface RequestHead {
  method: 'GET' | 'POST'
  /** The request target's path (before any `?`), exactly as sent: never percent-decoded. */
  path: string
  /** What follows the first `?` ('' when there is none). */
  query: string
  /** Content-Length (0 when absent). */
  contentLength: number
  /** The Content-Type header as sent, when present. */
  contentType: string | undefined
  /** The client sent `Connection: close`. */
  close: boolean
}

/** Header fields of one request above this count are not ours (Node allows 2000; clients send a handful). */
export const MAX_HEADER_FIELDS = 64

// Only tab and visible ASCII in the head (CR and LF only as line ends, checked per line below).
const OUTSIDE_SUBSET = /[^\t\x20-\x7e\r\n]/
const REQUEST_LINE = /^(GET|POST) (\/[\x21-\x7e]*) HTTP\/1\.1$/
// field-name ":" OWS field-value OWS; `.` matches neither CR nor LF, so a bare one fails the line.
const FIELD_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t ]*(.*?)[\t ]*$/
const DIGITS = /^[0-9]{1,9}$/

/**
 * `head`: the bytes before the blank line that ends a request head, as latin1 text.
 * Returns undefined for anything outside the subset.
 */
export function parseRequestHead(head: string): RequestHead | undefined {
  if (OUTSIDE_SUBSET.test(head)) return undefined
  let lineEnd = head.indexOf('\r\n')
  if (lineEnd === -1) lineEnd = head.length
  const requestLine = REQUEST_LINE.exec(head.slice(0, lineEnd))
  if (requestLine === null) return undefined
  const target = requestLine[2] as string
  const mark = target.indexOf('?')
  const path = mark === -1 ? target : target.slice(0, mark)
  const query = mark === -1 ? '' : target.slice(mark + 1)
  // Percent-encoding, fragments and path parameters are the router's business, not the lane's.
  if (path.includes('%') || path.includes(';') || target.includes('#')) return undefined

  let hosts = 0
  let fields = 0
  let contentLength: number | undefined
  let contentType: string | undefined
  let connection: string | undefined
  let at = lineEnd + 2
  while (at < head.length) {
    let end = head.indexOf('\r\n', at)
    if (end === -1) end = head.length
    // A line that starts with white space continues the one before (obs-fold): not ours.
    const field = FIELD_LINE.exec(head.slice(at, end))
    if (field === null || ++fields > MAX_HEADER_FIELDS) return undefined
    const value = field[2] as string
    switch ((field[1] as string).toLowerCase()) {
      case 'host':
        hosts++
        break
      case 'content-length':
        if (contentLength !== undefined || !DIGITS.test(value)) return undefined
        contentLength = Number(value)
        break
      case 'content-type':
        if (contentType !== undefined) return undefined
        contentType = value
        break
      case 'connection':
        if (connection !== undefined) return undefined
        connection = value.toLowerCase()
        if (connection !== 'keep-alive' && connection !== 'close') return undefined
        break
      case 'transfer-encoding':
      case 'expect':
      case 'upgrade':
        return undefined
    }
    at = end + 2
  }
  // HTTP/1.1 requires exactly one Host (Node answers 400 otherwise); a GET carries no body here.
  if (hosts !== 1) return undefined
  const method = requestLine[1] as 'GET' | 'POST'
  if (method === 'GET' && (contentLength ?? 0) > 0) return undefined
  return { method, path, query, contentLength: contentLength ?? 0, contentType, close: connection === 'close' }
}
