/**
 * `GET`/`HEAD /download/<path>`: the file as an attachment, streamed, with validators, conditional
 * requests and byte ranges (single → 206 with Content-Range, several → 206 multipart/byteranges).
 */
import { randomBytes } from 'node:crypto'
import { type IncomingMessage, type ServerResponse } from 'node:http'
import contentDisposition from 'content-disposition'
import mime from 'mime-types'
import { PeerErrorCode } from '@flashback/protocol'
import { evaluatePreconditions, ifRangeAllows, validatorsFor, type Validators } from './conditional.js'
import { partsLength, sendFileParts, type BufferPool, type StreamPart } from './file-stream.js'
import { openShareFile } from './open-file.js'
import { type MetadataFs } from './metadata-fs.js'
import { type ShareRoot } from './path-guard.js'
import { parseRange, type ByteRange } from './ranges.js'
import { HttpError, sendError } from './reply.js'
import { type Logger } from './logger.js'

export interface FileRouteContext {
  root: ShareRoot
  showDotfiles: boolean
  /** Read buffers for file transfers (their size is the read size). */
  pool: BufferPool
  /** realpath/open/fstat/close, synchronous while the file system is fast. */
  fs: MetadataFs
  logger: Logger
}

/** Content-Type of a download: by extension, like nginx; unknown types stay opaque bytes. */
export function downloadContentType(name: string): string {
  return mime.lookup(name) || 'application/octet-stream'
}

/** Headers every file response carries: the shared file can never run script in a viewer's browser. */
export function setFileSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', 'sandbox')
  res.setHeader('Cache-Control', 'private, no-cache')
}

export function setValidatorHeaders(res: ServerResponse, v: Validators): void {
  res.setHeader('ETag', v.etag)
  res.setHeader('Last-Modified', v.lastModified)
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

/** Send `parts` of `fd` as the body; the transfer owns the descriptor from here on. */
export function streamParts(res: ServerResponse, fd: number, parts: StreamPart[], ctx: FileRouteContext): void {
  void sendFileParts(res, fd, parts, ctx.pool, (n) => ctx.fs.close(n)).then((err) => {
    // A visitor closing the tab is ordinary; a file changing under a transfer is worth a line.
    if (err && (err as NodeJS.ErrnoException).code === 'FLASHBACK_FILE_CHANGED') {
      ctx.logger.warn({ err: { message: err.message } }, 'file changed during a transfer')
    }
  })
}

export async function serveDownload(req: IncomingMessage, res: ServerResponse, segments: string[], ctx: FileRouteContext): Promise<void> {
  const file = await openShareFile(ctx.root, segments, ctx.showDotfiles, ctx.fs)
  const { fd, stat, name } = file
  let handedOver = false
  try {
    const size = stat.size
    const v = validatorsFor(stat)
    const contentType = downloadContentType(name)
    setFileSecurityHeaders(res)
    res.setHeader('Accept-Ranges', 'bytes')

    const precondition = evaluatePreconditions(req.headers, v)
    if (precondition === 'failed') {
      sendError(res, new HttpError(412, PeerErrorCode.preconditionFailed, 'the file does not match the request’s preconditions'))
      return
    }
    setValidatorHeaders(res, v)
    if (precondition === 'not-modified') {
      res.statusCode = 304
      res.end()
      return
    }

    const range = ifRangeAllows(req.headers, v) ? parseRange(req.headers.range, size) : ({ kind: 'whole' } as const)
    if (range.kind === 'unsatisfiable') {
      sendError(res, new HttpError(416, PeerErrorCode.rangeNotSatisfiable, `no requested range overlaps the file’s ${size} bytes`, { 'Content-Range': `bytes */${size}` }))
      return
    }

    res.setHeader('Content-Disposition', attachmentHeader(name))
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
    res.setHeader('Content-Length', partsLength(parts))
    if (req.method === 'HEAD' || parts.length === 0) {
      res.end()
      return
    }
    handedOver = true
    streamParts(res, fd, parts, ctx)
  } finally {
    if (!handedOver) ctx.fs.close(fd)
  }
}
