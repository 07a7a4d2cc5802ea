/**
 * Download one remote file to disk, resumably and without holding it in memory.
 *
 * Bytes go to `<dest>.part`; `<dest>.part.json` remembers where they came from and the file's validator
 * (strong ETag, else Last-Modified) and size. A later attempt asks for the rest with `Range: bytes=<have>-`
 * and `If-Range: <validator>`: a 206 appends, a 200 (the file changed) starts over. When every byte is
 * there, the part file is renamed to `dest`. An existing `dest` is never overwritten without `force`.
 */
import { once } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Type, type Static } from 'typebox'
import Value from 'typebox/value'
import { writeFileAtomic } from '@flashback/identity'
import { ProtocolError, RuntimeError } from './errors.js'
import { discard, header, readBounded, type Headers } from './http-util.js'

/** What a remote GET gives back: status, headers and the body as a stream. */
export interface RemoteResponse {
  statusCode: number
  headers: Headers
  body: Readable & { dump?: (opts?: { limit: number }) => Promise<void> }
}

export interface DownloadProgress {
  /** Bytes on disk, including those kept from an earlier attempt. */
  received: number
  total: number | undefined
  resumedFrom: number
}

export interface DownloadFileOptions {
  dest: string
  /** Where the bytes come from: a part file of another source is never continued. */
  source: { email: string; path: string }
  /** Sends the GET with the given extra headers (Range, If-Range). */
  open: (headers: Record<string, string>, signal: AbortSignal | undefined) => Promise<RemoteResponse>
  /** Replace an existing complete file. */
  force?: boolean
  /** Continue a part file left by an earlier attempt (default true). */
  resume?: boolean
  signal?: AbortSignal
  onProgress?: (progress: DownloadProgress) => void
  /** Least time between two progress calls (default 100 ms; the last one always comes). */
  progressIntervalMs?: number
  /** Turns a non-2xx answer into an error (the peer client supplies one that reads `{ error, message }`). */
  httpError?: (response: RemoteResponse) => Promise<Error>
}

export interface DownloadResult {
  dest: string
  /** The file's size. */
  bytes: number
  /** Bytes that were already on disk and not downloaded again. */
  resumedFrom: number
  etag: string | undefined
}

const PartMeta = Type.Object({
  version: Type.Literal(1),
  email: Type.String({ maxLength: 254 }),
  path: Type.String({ maxLength: 4096 }),
  etag: Type.Optional(Type.String({ maxLength: 1024 })),
  lastModified: Type.Optional(Type.String({ maxLength: 128 })),
  size: Type.Optional(Type.Integer({ minimum: 0 })),
})
type PartMeta = Static<typeof PartMeta>

export const partFile = (dest: string) => `${dest}.part`
export const partMetaFile = (dest: string) => `${dest}.part.json`

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

async function readMeta(dest: string): Promise<PartMeta | undefined> {
  try {
    const value = JSON.parse(await readFile(partMetaFile(dest), 'utf8')) as unknown
    return Value.Check(PartMeta, value) ? value : undefined
  } catch {
    return undefined
  }
}

/** `bytes a-b/total` → numbers (total undefined for `*`). */
export function parseContentRange(value: string | undefined): { start: number; end: number; total: number | undefined } | undefined {
  const match = value ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value.trim()) : null
  if (!match) return undefined
  const start = Number(match[1])
  const end = Number(match[2])
  const total = match[3] === '*' ? undefined : Number(match[3])
  if (end < start || (total !== undefined && end >= total)) return undefined
  return { start, end, total }
}

/** Is there a complete file, a resumable part, or nothing at `dest`? */
export async function downloadState(dest: string, source: { email: string; path: string }): Promise<{ complete: boolean; partBytes: number; resumable: boolean }> {
  const complete = (await fileSize(dest)) !== undefined
  const partBytes = (await fileSize(partFile(dest))) ?? 0
  const meta = await readMeta(dest)
  const resumable = partBytes > 0 && meta !== undefined && sameSource(meta, source) && (meta.etag !== undefined || meta.lastModified !== undefined)
  return { complete, partBytes, resumable }
}

function sameSource(meta: PartMeta, source: { email: string; path: string }): boolean {
  return meta.email.toLowerCase() === source.email.toLowerCase() && meta.path === source.path
}

export async function downloadFile(options: DownloadFileOptions): Promise<DownloadResult> {
  const { dest, source } = options
  const part = partFile(dest)
  if (!options.force && (await fileSize(dest)) !== undefined) {
    throw new RuntimeError('file_exists', `${dest} already exists; choose another destination or overwrite it explicitly`)
  }
  await mkdir(dirname(dest), { recursive: true })

  let offset = 0
  let meta = options.resume === false ? undefined : await readMeta(dest)
  const partBytes = (await fileSize(part)) ?? 0
  const validator = meta && sameSource(meta, source) ? (meta.etag ?? meta.lastModified) : undefined
  if (validator !== undefined && partBytes > 0) offset = partBytes
  else meta = undefined

  let response = await options.open(offset > 0 ? { range: `bytes=${offset}-`, 'if-range': validator as string } : {}, options.signal)

  if (response.statusCode === 416 && offset > 0) {
    await discard(response.body)
    if (meta?.size === offset) return finish(dest, offset, offset, meta.etag)
    // Our part is longer than the file now is: start over.
    offset = 0
    response = await options.open({}, options.signal)
  }
  if (response.statusCode === 206) {
    const range = parseContentRange(header(response.headers, 'content-range'))
    if (!range || range.start !== offset) {
      await discard(response.body)
      if (offset === 0) throw new ProtocolError(`the peer answered a plain GET of ${source.path} with a partial response`)
      offset = 0
      response = await options.open({}, options.signal)
    }
  }
  if (response.statusCode === 200) offset = 0
  else if (response.statusCode !== 206) {
    if (options.httpError) throw await options.httpError(response)
    const bytes = await readBounded(response.body, 64 * 1024, 'the error body').catch(() => Buffer.alloc(0))
    throw new RuntimeError(`http_${response.statusCode}`, `the peer answered ${response.statusCode} for ${source.path}: ${bytes.toString('utf8').slice(0, 200)}`)
  }

  let total: number | undefined
  if (response.statusCode === 206) total = parseContentRange(header(response.headers, 'content-range'))?.total
  else {
    const length = header(response.headers, 'content-length')
    total = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined
  }
  const rawEtag = header(response.headers, 'etag')
  // If-Range needs a strong validator: a weak ETag is not kept.
  const etag = rawEtag && !rawEtag.startsWith('W/') ? rawEtag : undefined
  const lastModified = header(response.headers, 'last-modified')
  const nextMeta: PartMeta = { version: 1, email: source.email, path: source.path }
  if (etag) nextMeta.etag = etag
  if (lastModified) nextMeta.lastModified = lastModified
  if (total !== undefined) nextMeta.size = total
  await writeFileAtomic(partMetaFile(dest), JSON.stringify(nextMeta), 0o600)

  const resumedFrom = offset
  let received = offset
  let lastReport = 0
  const interval = options.progressIntervalMs ?? 100
  const report = (force: boolean) => {
    const now = Date.now()
    if (!force && now - lastReport < interval) return
    lastReport = now
    options.onProgress?.({ received, total, resumedFrom })
  }
  report(true)
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length
      if (total !== undefined && received > total) {
        callback(new ProtocolError(`the peer sent more than the announced ${total} bytes of ${source.path}`))
        return
      }
      report(false)
      callback(null, chunk)
    },
  })
  const sink = createWriteStream(part, { flags: offset > 0 ? 'a' : 'w', mode: 0o600 })
  try {
    await pipeline(response.body, counter, sink, { signal: options.signal })
  } catch (err) {
    // pipeline rejects at the first error, while a write to the part file may still be in flight:
    // wait until the file is closed, so that what is on disk (what a retry resumes from) is final
    // when the caller hears of the interruption.
    await closeQuietly(sink)
    report(true)
    if (options.signal?.aborted) throw err
    throw new RuntimeError(
      'download_interrupted',
      `the download of ${source.path} stopped after ${received}${total !== undefined ? ` of ${total}` : ''} bytes (${(err as Error).message}); run it again to resume`,
      { cause: err },
    )
  }
  report(true)
  if (total !== undefined && received !== total) {
    throw new RuntimeError('download_interrupted', `the download of ${source.path} stopped after ${received} of ${total} bytes; run it again to resume`)
  }
  return finish(dest, received, resumedFrom, etag)
}

async function closeQuietly(stream: WriteStream): Promise<void> {
  if (stream.closed) return
  const closed = once(stream, 'close').catch(() => undefined)
  if (!stream.destroyed) stream.destroy()
  await closed
}

async function finish(dest: string, bytes: number, resumedFrom: number, etag: string | undefined): Promise<DownloadResult> {
  await rename(partFile(dest), dest)
  await rm(partMetaFile(dest), { force: true })
  return { dest, bytes, resumedFrom, etag }
}
