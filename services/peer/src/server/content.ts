/**
 * `GET`/`HEAD /content/<path>`: a text file as UTF-8 text, for previews. Binary files get 415
 * `not_text`, files over CONTENT_MAX_BYTES 413 `too_large` with the `/download` path to use instead.
 *
 * "Text" is decided on the first 64 KiB (the whole file when smaller): valid UTF-8 (a BOM is fine,
 * a sequence cut by the sample's end too) without NUL bytes. That is what every binary format fails
 * at once, and it costs one read that is then sent as the start of the body, never read twice.
 * Legacy 8-bit encodings and UTF-16 count as binary: the body is always declared UTF-8.
 */
import { read } from 'node:fs'
import { type IncomingMessage, type ServerResponse } from 'node:http'
import { isUtf8 } from 'node:buffer'
import { promisify } from 'node:util'
import { CONTENT_MAX_BYTES, ErrorCode, PEER_ROUTES } from '@flashback/protocol'
import { answeredByPreconditions, fileValidators, setFileSecurityHeaders, streamParts, type FileRouteContext } from './download.js'
import { openShareFile } from './open-file.js'
import { encodeSharePath } from './path-guard.js'
import { HttpError, sendJson } from './reply.js'
import { type StreamPart } from './file-stream.js'

const readAsync = promisify(read)

export const TEXT_SNIFF_BYTES = 64 * 1024

/** Content-Type of a text preview: Markdown and CSV keep their type, everything else is plain text. */
export function textContentType(name: string): string {
  const ext = name.toLowerCase().split('.').pop()
  if (name.includes('.') && (ext === 'md' || ext === 'markdown')) return 'text/markdown; charset=utf-8'
  if (name.includes('.') && ext === 'csv') return 'text/csv; charset=utf-8'
  return 'text/plain; charset=utf-8'
}

/** How many bytes at the end of `sample` are the start of a UTF-8 sequence the sample cut off. */
function cutSequenceLength(sample: Buffer): number {
  // Look back at most 3 bytes for a lead byte whose sequence runs past the end.
  for (let back = 1; back <= Math.min(3, sample.length); back++) {
    const byte = sample[sample.length - back] as number
    if ((byte & 0xc0) === 0x80) continue // continuation byte: keep looking for the lead
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
    return needed > back ? back : 0
  }
  return 0
}

/** True when `sample` looks like UTF-8 text; `complete` says whether it is the whole file. */
export function looksLikeText(sample: Buffer, complete: boolean): boolean {
  if (sample.includes(0)) return false
  if (isUtf8(sample)) return true
  if (complete) return false
  const cut = cutSequenceLength(sample)
  return cut > 0 && isUtf8(sample.subarray(0, sample.length - cut))
}

export async function serveContent(req: IncomingMessage, res: ServerResponse, segments: string[], ctx: FileRouteContext): Promise<void> {
  const file = await openShareFile(ctx, segments)
  const { fd, stat, name } = file
  let handedOver = false
  try {
    const size = stat.size
    if (size > CONTENT_MAX_BYTES) {
      const download = `${PEER_ROUTES.download}/${encodeSharePath(segments)}`
      sendJson(
        res,
        413,
        {
          error: ErrorCode.tooLarge,
          message: `this file is ${size} bytes, over the ${CONTENT_MAX_BYTES}-byte preview limit: download it from ${download}`,
          download,
          size,
          limit: CONTENT_MAX_BYTES,
        },
        { Link: `<${download}>; rel="alternate"` },
      )
      return
    }
    const sampleLength = Math.min(size, TEXT_SNIFF_BYTES)
    const sample = Buffer.allocUnsafe(sampleLength)
    let got = 0
    while (got < sampleLength) {
      const { bytesRead } = await readAsync(fd, sample, got, sampleLength - got, got)
      if (bytesRead === 0) break
      got += bytesRead
    }
    if (got < sampleLength) throw new HttpError(404, ErrorCode.notFound, 'the file changed while it was being read')
    if (!looksLikeText(sample, sampleLength === size)) {
      throw new HttpError(415, ErrorCode.notText, `${name} is not UTF-8 text: download it from ${PEER_ROUTES.download}/${encodeSharePath(segments)}`)
    }

    const v = fileValidators(file)
    setFileSecurityHeaders(res)
    if (answeredByPreconditions(req, res, v)) return
    res.statusCode = 200
    res.setHeader('Content-Type', textContentType(name))
    res.setHeader('Content-Length', size)
    if (req.method === 'HEAD' || size === 0) {
      res.end()
      return
    }
    const parts: StreamPart[] = [sample]
    if (size > sampleLength) parts.push({ start: sampleLength, end: size - 1 })
    handedOver = true
    streamParts(res, file, parts, ctx)
  } finally {
    if (!handedOver) file.release()
  }
}
