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

/** tchar (RFC 9110 §5.6.2): the characters of a field name. */
const TOKEN = new Uint8Array(128)
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN[c.charCodeAt(0)] = 1

const SP = 0x20
const HTAB = 0x09
const CR = 0x0d
const LF = 0x0a
const QUESTION = 0x3f

/** A visible ASCII character (what a request target and, with SP and HTAB, a field value may hold here). */
const visible = (c: number) => c > SP && c < 0x7f

/** `head` from `at` starts with `lower` (an ASCII lower-case name), in any case, followed by a colon. */
function nameIs(head: string, at: number, end: number, lower: string): boolean {
  if (end - at !== lower.length) return false
  for (let i = 0; i < lower.length; i++) {
    if ((head.charCodeAt(at + i) | 0x20) !== lower.charCodeAt(i)) return false
  }
  return true
}

/**
 * `head`: the bytes before the blank line that ends a request head, as latin1 text.
 * Returns undefined for anything outside the subset. One pass over the characters, no regular
 * expressions: it runs for every request whose head the lane has not seen before.
 */
export function parseRequestHead(head: string): RequestHead | undefined {
  const length = head.length
  // Request line: method SP request-target SP HTTP/1.1 CRLF
  let method: 'GET' | 'POST'
  let at: number
  if (head.startsWith('GET /')) {
    method = 'GET'
    at = 4
  } else if (head.startsWith('POST /')) {
    method = 'POST'
    at = 5
  } else return undefined
  const targetStart = at
  let mark = -1
  let c = 0
  while (at < length && visible((c = head.charCodeAt(at)))) {
    // Percent-encoding, fragments and path parameters are the router's business, not the lane's.
    if (c === 0x23) return undefined
    if (mark === -1) {
      if (c === QUESTION) mark = at
      else if (c === 0x25 || c === 0x3b) return undefined
    }
    at++
  }
  const targetEnd = at
  if (!head.startsWith(' HTTP/1.1', at)) return undefined
  at += 9
  if (at !== length && (head.charCodeAt(at) !== CR || head.charCodeAt(at + 1) !== LF)) return undefined
  at += 2

  let hosts = 0
  let fields = 0
  let contentLength = -1
  let contentType: string | undefined
  let connection: string | undefined
  while (at < length) {
    // field-name ":" OWS field-value OWS CRLF; a line that starts with white space (obs-fold) fails here.
    const nameStart = at
    while (at < length && (c = head.charCodeAt(at)) < 128 && TOKEN[c] === 1) at++
    const nameEnd = at
    if (nameEnd === nameStart || c !== 0x3a || at >= length || ++fields > MAX_HEADER_FIELDS) return undefined
    at++
    while (at < length && ((c = head.charCodeAt(at)) === SP || c === HTAB)) at++
    const valueStart = at
    let valueEnd = at
    while (at < length && (c = head.charCodeAt(at)) !== CR) {
      if (c === HTAB || c === SP) {
        // white space inside the value is kept, trailing white space is not
      } else if (visible(c)) valueEnd = at + 1
      else return undefined
      at++
    }
    if (at < length && head.charCodeAt(at + 1) !== LF) return undefined
    at += 2
    const first = head.charCodeAt(nameStart) | 0x20
    if (first === 0x68 && nameIs(head, nameStart, nameEnd, 'host')) hosts++
    else if (first === 0x63) {
      if (nameIs(head, nameStart, nameEnd, 'content-length')) {
        if (contentLength !== -1 || valueEnd === valueStart || valueEnd - valueStart > 9) return undefined
        contentLength = 0
        for (let i = valueStart; i < valueEnd; i++) {
          const digit = head.charCodeAt(i) - 0x30
          if (digit < 0 || digit > 9) return undefined
          contentLength = contentLength * 10 + digit
        }
      } else if (nameIs(head, nameStart, nameEnd, 'content-type')) {
        if (contentType !== undefined) return undefined
        contentType = head.slice(valueStart, valueEnd)
      } else if (nameIs(head, nameStart, nameEnd, 'connection')) {
        if (connection !== undefined) return undefined
        connection = head.slice(valueStart, valueEnd).toLowerCase()
        if (connection !== 'keep-alive' && connection !== 'close') return undefined
      }
    } else if (
      (first === 0x74 && nameIs(head, nameStart, nameEnd, 'transfer-encoding')) ||
      (first === 0x65 && nameIs(head, nameStart, nameEnd, 'expect')) ||
      (first === 0x75 && nameIs(head, nameStart, nameEnd, 'upgrade'))
    ) {
      return undefined
    }
  }
  // HTTP/1.1 requires exactly one Host (Node answers 400 otherwise); a GET carries no body here.
  if (hosts !== 1) return undefined
  if (method === 'GET' && contentLength > 0) return undefined
  return {
    method,
    path: head.slice(targetStart, mark === -1 ? targetEnd : mark),
    query: mark === -1 ? '' : head.slice(mark + 1, targetEnd),
    contentLength: contentLength === -1 ? 0 : contentLength,
    contentType,
    close: connection === 'close',
  }
}
