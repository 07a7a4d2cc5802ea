/**
 * The peer server's API (issue 3) as seen from a visitor: health, folder listings (paged), text, raw
 * file bytes with Range passed through (for the desktop `flashback://` protocol and web mode's
 * `/remote/…` proxy: video seeking), and resumable downloads. Everything streams; nothing is buffered
 * whole except bounded JSON and text answers.
 */
import { type Readable } from 'node:stream'
import { type Dispatcher } from 'undici'
import { CONTENT_MAX_BYTES, FileListing, PeerHealthReply, FILES_MAX_LIMIT } from '@flashback/protocol'
import { PeerHttpError, ProtocolError } from './errors.js'
import { downloadFile, type DownloadFileOptions, type DownloadResult, type RemoteResponse } from './download-file.js'
import { encodeSharePath, header, normalizeSharePath, parseErrorBody, parseJson, readBounded } from './http-util.js'
import { type PeerConnection, type PeerConnector } from './peer-connector.js'

/** Listings of 10,000 entries with long names fit. */
const MAX_LISTING_BYTES = 32 * 1024 * 1024
const MAX_ERROR_BYTES = 64 * 1024

/** Request headers a raw fetch passes on to the peer (conditional and range requests). */
export const FORWARDED_REQUEST_HEADERS = ['range', 'if-range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since'] as const
/** Response headers a raw fetch hands back (everything else of the peer's answer is dropped). */
export const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  'etag',
  'last-modified',
  'content-disposition',
  'content-security-policy',
  'x-content-type-options',
  'cache-control',
] as const

export interface RemoteFetchOptions {
  method?: 'GET' | 'HEAD'
  /** Only FORWARDED_REQUEST_HEADERS are sent; names are case-insensitive. */
  headers?: Record<string, string | string[] | undefined>
  signal?: AbortSignal
}

/** A raw answer from a peer: any status (the caller decides), filtered headers, the body as a stream. */
export interface RemoteFile {
  statusCode: number
  headers: Record<string, string>
  body: Readable
  /** The address that served it. */
  address: string
}

export interface ReadTextResult {
  text: string
  /** The peer's Content-Type as sent (`text/markdown; charset=utf-8`). */
  contentType: string
  /** The Content-Type without parameters (`text/markdown`). */
  mime: string
  /** Size in bytes. */
  size: number
}

export type PeerDownloadOptions = Omit<DownloadFileOptions, 'dest' | 'source' | 'open' | 'httpError'>

async function peerError(email: string, response: { statusCode: number; body: Readable }, what: string): Promise<PeerHttpError> {
  let bytes: Buffer = Buffer.alloc(0)
  try {
    bytes = await readBounded(response.body as Readable & AsyncIterable<Buffer>, MAX_ERROR_BYTES, 'the error body')
  } catch {
    // the status says enough
  }
  const parsed = parseErrorBody(bytes)
  return new PeerHttpError(
    email,
    response.statusCode,
    parsed?.error ?? `http_${response.statusCode}`,
    parsed ? `${email}: ${parsed.message}` : `${email} answered ${response.statusCode} for ${what}`,
  )
}

export class PeerClient {
  readonly #connector: PeerConnector

  constructor(connector: PeerConnector) {
    this.#connector = connector
  }

  /** `GET /health`: the peer is up and is who it says (the TLS pin already proved the certificate). */
  async health(email: string, options: { signal?: AbortSignal } = {}): Promise<PeerHealthReply & { address: string }> {
    return this.#connector.withPeer(
      email,
      async (connection) => {
        const reply = await this.#getJson(connection, '/health', PeerHealthReply, 'the health check', options.signal)
        if (reply.fingerprint !== connection.fingerprint || reply.email.toLowerCase() !== email.toLowerCase()) {
          throw new ProtocolError(`${email}'s health answer names ${reply.email} with another certificate`)
        }
        return { ...reply, address: connection.address }
      },
      options,
    )
  }

  /** One page of a folder (`''` is the root). Pass `next_cursor` back as `cursor` for the next page. */
  async listFolder(email: string, path = '', options: { limit?: number; cursor?: string; signal?: AbortSignal } = {}): Promise<FileListing> {
    const folder = normalizeSharePath(path)
    const query = new URLSearchParams()
    if (options.limit !== undefined) query.set('limit', String(Math.min(Math.max(1, Math.floor(options.limit)), FILES_MAX_LIMIT)))
    if (options.cursor !== undefined) query.set('cursor', options.cursor)
    const search = query.size > 0 ? `?${query.toString()}` : ''
    const url = folder === '' ? `/api/files${search}` : `/api/files/${encodeSharePath(folder)}${search}`
    return this.#connector.withPeer(
      email,
      (connection) => this.#getJson(connection, url, FileListing, `the folder /${folder}`, options.signal, MAX_LISTING_BYTES),
      options,
    )
  }

  /** Every page of a folder, one after the other. */
  async *listFolderPages(email: string, path = '', options: { limit?: number; signal?: AbortSignal } = {}): AsyncGenerator<FileListing> {
    let cursor: string | undefined
    const seen = new Set<string>()
    do {
      const page: FileListing = await this.listFolder(email, path, { ...options, ...(cursor === undefined ? {} : { cursor }) })
      yield page
      cursor = page.next_cursor
      if (cursor !== undefined && seen.has(cursor)) throw new ProtocolError(`${email} repeats the listing cursor of /${path}`)
      if (cursor !== undefined) seen.add(cursor)
    } while (cursor !== undefined)
  }

  /** A text file's content (`/content/<path>`, at most 10 MiB; larger files go through download). */
  async readText(email: string, path: string, options: { signal?: AbortSignal } = {}): Promise<ReadTextResult> {
    const file = normalizeSharePath(path)
    return this.#connector.withPeer(
      email,
      async (connection) => {
        const response = await connection.request({ method: 'GET', path: `/content/${encodeSharePath(file)}`, signal: options.signal })
        if (response.statusCode !== 200) throw await peerError(email, response, `/${file}`)
        const bytes = await readBounded(response.body, CONTENT_MAX_BYTES, `${email}'s /${file}`)
        const contentType = header(response.headers, 'content-type') ?? 'text/plain; charset=utf-8'
        const mime = (contentType.split(';')[0] ?? '').trim().toLowerCase() || 'text/plain'
        return { text: bytes.toString('utf8'), contentType, mime, size: bytes.length }
      },
      options,
    )
  }

  /**
   * `GET`/`HEAD /download/<path>` with Range and conditional headers passed through, answered as is
   * (200, 206, 304, 416, errors…) with the body streaming. For proxies: nothing is buffered.
   */
  async fetch(email: string, path: string, options: RemoteFetchOptions = {}): Promise<RemoteFile> {
    const file = normalizeSharePath(path)
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      const lower = name.toLowerCase()
      if (value === undefined || !(FORWARDED_REQUEST_HEADERS as readonly string[]).includes(lower)) continue
      headers[lower] = Array.isArray(value) ? value.join(', ') : value
    }
    return this.#connector.withPeer(
      email,
      async (connection) => {
        const response = await connection.request({
          method: options.method ?? 'GET',
          path: `/download/${encodeSharePath(file)}`,
          headers,
          signal: options.signal,
        })
        const kept: Record<string, string> = {}
        for (const name of FORWARDED_RESPONSE_HEADERS) {
          const value = header(response.headers, name)
          if (value !== undefined) kept[name] = value
        }
        return { statusCode: response.statusCode, headers: kept, body: response.body, address: connection.address }
      },
      options,
    )
  }

  /** Download a file to `dest`, resuming a part file left by an earlier attempt (see download-file). */
  async download(email: string, path: string, dest: string, options: PeerDownloadOptions = {}): Promise<DownloadResult> {
    const file = normalizeSharePath(path)
    return downloadFile({
      ...options,
      dest,
      source: { email, path: file },
      open: async (headers, signal) => {
        const response = await this.fetch(email, file, { headers, ...(signal ? { signal } : {}) })
        return response as RemoteResponse
      },
      httpError: (response) => peerError(email, response, `/${file}`),
    })
  }

  async #getJson<T extends Parameters<typeof parseJson>[0]>(
    connection: PeerConnection,
    path: string,
    schema: T,
    what: string,
    signal: AbortSignal | undefined,
    maxBytes = 1024 * 1024,
  ): Promise<ReturnType<typeof parseJson<T>>> {
    const response: Dispatcher.ResponseData = await connection.request({ method: 'GET', path, headers: { accept: 'application/json' }, signal })
    if (response.statusCode !== 200) throw await peerError(connection.email, response, what)
    const bytes = await readBounded(response.body, maxBytes, `${connection.email}'s answer for ${what}`)
    return parseJson(schema, bytes, `${connection.email}'s answer for ${what}`)
  }
}
