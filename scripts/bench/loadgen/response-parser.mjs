// A minimal HTTP/1.1 response parser for the load generator: status, Content-Length or chunked
// framing, `Connection: close`, and (when asked) the body. It does far less than llhttp on purpose:
// the generator must spend its core on TLS and sockets, not on parsing headers it never reads.

const CRLFCRLF = Buffer.from('\r\n\r\n')

const HEAD = 0
const BODY = 1
const CHUNK_SIZE = 2
const CHUNK_DATA = 3
const CHUNK_CRLF = 4
const TRAILER = 5
const UNTIL_CLOSE = 6

/** head[from, to) is `lower` (ASCII, lower case) in any case. */
function nameIs(head, from, to, lower) {
  if (to - from !== lower.length) return false
  for (let i = 0; i < lower.length; i++) if ((head.charCodeAt(from + i) | 0x20) !== lower.charCodeAt(i)) return false
  return true
}

export class ResponseParser {
  /**
   * @param {(res: { status: number, bodyBytes: number, body?: Buffer, close: boolean, head: string }) => void} onResponse
   * @param {{ keepBody?: boolean }} [opts]
   */
  constructor(onResponse, opts = {}) {
    this.onResponse = onResponse
    this.keepBody = Boolean(opts.keepBody)
    this.reset()
  }

  /** Ready for the next response; `noBody` for answers to HEAD. */
  reset(noBody = false) {
    this.state = HEAD
    this.noBody = noBody
    this.pendingHead = null
    this.lineBuf = ''
    this.remaining = 0
    this.bodyBytes = 0
    this.bodyParts = this.keepBody ? [] : null
    this.status = 0
    this.close = false
    this.head = ''
  }

  /** Feed bytes from the socket. Returns an Error on a framing error. */
  push(buf) {
    let i = 0
    const n = buf.length
    while (i < n) {
      switch (this.state) {
        case HEAD: {
          let chunk = i === 0 ? buf : buf.subarray(i)
          let searchFrom = 0
          if (this.pendingHead) {
            searchFrom = Math.max(0, this.pendingHead.length - 3)
            chunk = Buffer.concat([this.pendingHead, chunk])
          }
          const end = chunk.indexOf(CRLFCRLF, searchFrom)
          if (end === -1) {
            if (chunk.length > 65536) return new Error('response head larger than 64 KiB')
            this.pendingHead = Buffer.from(chunk)
            return undefined
          }
          const consumedFromBuf = end + 4 - (this.pendingHead ? this.pendingHead.length : 0)
          this.pendingHead = null
          const err = this.parseHead(chunk.latin1Slice(0, end + 2))
          if (err) return err
          i += consumedFromBuf
          if (this.state === HEAD) this.finish()
          break
        }
        case BODY: {
          const take = Math.min(this.remaining, n - i)
          this.addBody(buf, i, take)
          i += take
          this.remaining -= take
          if (this.remaining === 0) this.finish()
          break
        }
        case UNTIL_CLOSE: {
          this.addBody(buf, i, n - i)
          i = n
          break
        }
        case CHUNK_SIZE:
        case TRAILER: {
          const lf = buf.indexOf(10, i)
          if (lf === -1) {
            this.lineBuf += buf.latin1Slice(i, n)
            if (this.lineBuf.length > 4096) return new Error('chunk line too long')
            i = n
            break
          }
          const line = (this.lineBuf + buf.latin1Slice(i, lf)).replace(/\r$/, '')
          this.lineBuf = ''
          i = lf + 1
          if (this.state === TRAILER) {
            if (line === '') this.finish()
            break
          }
          const size = Number.parseInt(line.split(';', 1)[0].trim(), 16)
          if (!Number.isFinite(size) || size < 0) return new Error(`bad chunk size line ${JSON.stringify(line)}`)
          if (size === 0) this.state = TRAILER
          else {
            this.remaining = size
            this.state = CHUNK_DATA
          }
          break
        }
        case CHUNK_DATA: {
          const take = Math.min(this.remaining, n - i)
          this.addBody(buf, i, take)
          i += take
          this.remaining -= take
          if (this.remaining === 0) {
            this.state = CHUNK_CRLF
            this.remaining = 2
          }
          break
        }
        case CHUNK_CRLF: {
          const take = Math.min(this.remaining, n - i)
          i += take
          this.remaining -= take
          if (this.remaining === 0) this.state = CHUNK_SIZE
          break
        }
        default:
          return new Error('parser in an unknown state')
      }
    }
    return undefined
  }

  /** The socket closed: completes a body framed by the connection's end, else reports truncation. */
  end() {
    if (this.state === UNTIL_CLOSE) {
      this.finish()
      return undefined
    }
    if (this.state === HEAD && !this.pendingHead) return undefined
    return new Error('connection closed in the middle of a response')
  }

  /** True between the first byte of a response and its end. */
  get busy() {
    return this.state !== HEAD || this.pendingHead !== null
  }

  parseHead(head) {
    if (!head.startsWith('HTTP/1.')) return new Error(`not an HTTP/1.x response: ${JSON.stringify(head.slice(0, 40))}`)
    this.status = (head.charCodeAt(9) - 48) * 100 + (head.charCodeAt(10) - 48) * 10 + (head.charCodeAt(11) - 48)
    this.head = head
    // One pass over the header lines, names compared without lower-casing the whole head: the
    // generator's cost per answer must not grow with how many headers a server sends.
    let close = head.startsWith('HTTP/1.0')
    let chunked = false
    let length = -1
    let at = head.indexOf('\r\n') + 2
    while (at > 1 && at < head.length) {
      let end = head.indexOf('\r\n', at)
      if (end === -1) end = head.length
      const colon = head.indexOf(':', at)
      if (colon !== -1 && colon < end) {
        const first = head.charCodeAt(at) | 0x20
        if (first === 0x63 && nameIs(head, at, colon, 'content-length')) {
          const digits = /^\s*(\d+)/.exec(head.slice(colon + 1, end))
          if (digits) length = Number(digits[1])
        } else if (first === 0x63 && nameIs(head, at, colon, 'connection')) {
          if (head.slice(colon + 1, end).trim().toLowerCase() === 'close') close = true
        } else if (first === 0x74 && nameIs(head, at, colon, 'transfer-encoding')) {
          if (head.slice(colon + 1, end).toLowerCase().includes('chunked')) chunked = true
        }
      }
      at = end + 2
    }
    this.close = close
    if (this.noBody || this.status === 204 || this.status === 304 || (this.status >= 100 && this.status < 200)) {
      this.state = HEAD
      return undefined
    }
    if (chunked) {
      this.state = CHUNK_SIZE
      return undefined
    }
    if (length !== -1) {
      this.remaining = length
      this.state = this.remaining > 0 ? BODY : HEAD
      return undefined
    }
    this.close = true
    this.state = UNTIL_CLOSE
    return undefined
  }

  addBody(buf, start, len) {
    if (len <= 0) return
    this.bodyBytes += len
    if (this.bodyParts) this.bodyParts.push(Buffer.from(buf.subarray(start, start + len)))
  }

  finish() {
    if (this.status === 100) {
      // An interim answer (we never send Expect, but a server may): the real one follows.
      this.reset(this.noBody)
      return
    }
    const res = {
      status: this.status,
      bodyBytes: this.bodyBytes,
      body: this.bodyParts ? Buffer.concat(this.bodyParts) : undefined,
      close: this.close,
      head: this.head,
    }
    this.reset(this.noBody)
    this.onResponse(res)
  }
}
