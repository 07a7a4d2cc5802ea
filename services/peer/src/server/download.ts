/**
 * `GET`/`HEAD /download/<path>`: the file as an attachment, streamed, with validators, conditional
 * requests and byte ranges (single → 206 with Content-Range, several → 206 multipart/byteranges).
 */
import { randomBytes } from 'node:crypto'
import { read as fsRead } from 'node:fs'
import { type IncomingMessage, type ServerResponse } from 'node:http'
import contentDisposition from 'content-disposition'
import mime from 'mime-types'
import { PeerErrorCode } from '@flashback/protocol'
import { evaluatePreconditions, ifRangeAllows, validatorsFor, type Validators } from './conditional.js'
import { partsLength, sendFileParts, type BufferPool, type FileSlice, type StreamPart } from './file-stream.js'
import { openShareFile, type OpenedFile, type ShareFiles } from './open-file.js'
import { type MetadataFs } from './metadata-fs.js'
import { parseRange, type ByteRange } from './ranges.js'
import { HttpError, sendError } from './reply.js'
import { type Logger } from './logger.js'

export interface FileRouteContext extends ShareFiles {
  /** Read buffers for file transfers (their size is the read size). */
  pool: BufferPool
  /** realpath/open/fstat/lstat/close, synchronous while the file system is fast. */
  fs: MetadataFs
  logger: Logger
}

/**
 * A body of one slice up to this size is read with one positional read into a pooled buffer and sent
 * with `res.end()`, without the transfer loop. Larger bodies are streamed.
 */
export const SMALL_BODY_MAX = 256 * 1024

/** Content-Type of a download: by extension, like nginx; unknown types stay opaque bytes. */
export function downloadContentType(name: string): string {
  return mime.lookup(name) || 'application/octet-stream'
}

/** Headers every file response carries: the shared file can never run script in a viewer's browser. */
export function setFileSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', 'sandbox')
  res.setHeader('Cache-Control', 'private, no-cache')
}

function setValidatorHeaders(res: ServerResponse, v: Validators): void {
  res.setHeader('ETag', v.etag)
  res.setHeader('Last-Modified', v.lastModified)
}

/**
 * Set the file's validators and answer the request when its preconditions decide it: 412 when one
 * fails, 304 when the visitor's copy is current. True when answered.
 */
export function answeredByPreconditions(req: IncomingMessage, res: ServerResponse, v: Validators): boolean {
  const precondition = evaluatePreconditions(req.headers, v)
  if (precondition === 'failed') {
    sendError(res, new HttpError(412, PeerErrorCode.preconditionFailed, 'the file does not match the request’s preconditions'))
    return true
  }
  setValidatorHeaders(res, v)
  if (precondition === 'not-modified') {
    res.statusCode = 304
    res.end()
    return true
  }
  return false
}

/**
 * `attachment` with the name as plain ASCII `filename` (non-ASCII letters become '?', so the header
 * stays ASCII for every client) plus RFC 5987 `filename*` in UTF-8 whenever the name is not pure ASCII.
 */
export function attachmentHeader(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '?')
  return contentDisposition(name, { type: 'attachment', fallback: ascii })
}

// Boundaries: a random per-process prefix and a counter, so no file can predict one and none repeats.
const BOUNDARY_PREFIX = randomBytes(9).toString('hex')
let boundaryCounter = 0

function multipartParts(ranges: ByteRange[], size: number, contentType: string): { boundary: string; parts: StreamPart[] } {
  const boundary = `flashback-${BOUNDARY_PREFIX}-${(boundaryCounter++).toString(36)}`
  const parts: StreamPart[] = []
  for (const r of ranges) {
    parts.push(Buffer.from(`\r\n--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`, 'latin1'))
    parts.push({ start: r.start, end: r.end })
  }
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'))
  return { boundary, parts }
}

/** Per-file strings, `make(name)` computed once while the file stays in the open-file cache. */
export function fileMemo(file: OpenedFile, key: string, make: (name: string) => string): string {
  if (file.cached === undefined) return make(file.name)
  let value = file.cached.memo.get(key)
  if (value === undefined) {
    value = make(file.name)
    file.cached.memo.set(key, value)
  }
  return value
}

/** The file's validators (formatted once per change while cached). */
export function fileValidators(file: OpenedFile): Validators {
  return file.cached ? file.cached.validatorsOf(file.stat) : validatorsFor(file.stat)
}

/** Send `parts` of the file as the body; the transfer releases the file when it ends. */
export function streamParts(res: ServerResponse, file: OpenedFile, parts: StreamPart[], ctx: FileRouteContext): void {
  void sendFileParts(res, file.fd, parts, ctx.pool, () => file.release()).then((err) => {
    // A visitor closing the tab is ordinary; a file changing under a transfer is worth a line.
    if (err && (err as NodeJS.ErrnoException).code === 'FLASHBACK_FILE_CHANGED') {
      ctx.logger.warn({ err: { message: err.message } }, 'file changed during a transfer')
    }
  })
}

/**
 * Send one slice read in a single call, when it is small: true when sent. False when the file turned
 * out shorter than its fstat said (it shrank meanwhile): the caller streams it, and the stream cuts
 * the response where the bytes end, as for any transfer.
 */
async function sendSmall(res: ServerResponse, file: OpenedFile, slice: FileSlice, length: number, ctx: FileRouteContext): Promise<boolean> {
  const buffer = ctx.pool.take()
  // Through the thread pool: with requests in flight the reads overlap, and a disk that is slow
  // never holds up the event loop (measured: as cheap as a synchronous read at 32 connections).
  const read = await new Promise<number>((resolve, reject) => {
    fsRead(file.fd, buffer, 0, length, slice.start, (err, n) => {
      if (err) {
        ctx.pool.give(buffer)
        reject(err)
      } else resolve(n)
    })
  })
  if (read !== length) {
    ctx.pool.give(buffer)
    return false
  }
  // The buffer goes back to the pool once the response has been handed to the socket.
  res.end(length === buffer.length ? buffer : buffer.subarray(0, length), () => ctx.pool.give(buffer))
  return true
}

export async function serveDownload(req: IncomingMessage, res: ServerResponse, segments: string[], ctx: FileRouteContext): Promise<void> {
  const file = await openShareFile(ctx, segments)
  const { stat } = file
  let handedOver = false
  try {
    const size = stat.size
    const v = fileValidators(file)
    const contentType = fileMemo(file, 'download-type', downloadContentType)
    setFileSecurityHeaders(res)
    res.setHeader('Accept-Ranges', 'bytes')

    if (answeredByPreconditions(req, res, v)) return

    const range = ifRangeAllows(req.headers, v) ? parseRange(req.headers.range, size) : ({ kind: 'whole' } as const)
    if (range.kind === 'unsatisfiable') {
      sendError(res, new HttpError(416, PeerErrorCode.rangeNotSatisfiable, `no requested range overlaps the file’s ${size} bytes`, { 'Content-Range': `bytes */${size}` }))
      return
    }

    res.setHeader('Content-Disposition', fileMemo(file, 'download-disposition', attachmentHeader))
    let parts: StreamPart[]
    if (range.kind === 'whole') {
      res.statusCode = 200
      res.setHeader('Content-Type', contentType)
      parts = size > 0 ? [{ start: 0, end: size - 1 }] : []
    } else if (range.ranges.length === 1) {
      const [only] = range.ranges as [ByteRange]
      res.statusCode = 206
      res.setHeader('Content-Type', contentType)
      res.setHeader('Content-Range', `bytes ${only.start}-${only.end}/${size}`)
      parts = [only]
    } else {
      const multipart = multipartParts(range.ranges, size, contentType)
      res.statusCode = 206
      res.setHeader('Content-Type', `multipart/byteranges; boundary=${multipart.boundary}`)
      parts = multipart.parts
    }
    const length = partsLength(parts)
    res.setHeader('Content-Length', length)
    if (req.method === 'HEAD' || parts.length === 0) {
      res.end()
      return
    }
    const [first] = parts as [StreamPart]
    if (parts.length === 1 && !Buffer.isBuffer(first) && length <= Math.min(SMALL_BODY_MAX, ctx.pool.size)) {
      if (await sendSmall(res, file, first, length, ctx)) return
    }
    handedOver = true
    streamParts(res, file, parts, ctx)
  } finally {
    if (!handedOver) file.release()
  }
}
