/**
 * `flashback://peer/<email>/<path>`: a peer's file bytes for the UI's `<img>`, `<video>` and `<audio>`.
 * The handler proxies to the peer over mutual TLS through an injected fetcher (the runtime's raw GET), passing
 * `Range`/`If-Range` through and the answer back as it is (200, 206, 416, 404...) with its range headers, so media
 * elements can seek. Bodies stream: nothing is buffered. The answer carries `nosniff` and a sandboxing CSP, because
 * a peer's file is hostile content.
 */
import { Readable } from 'node:stream'
import { type ReadableStream as NodeWebReadableStream } from 'node:stream/web'
import { ELECTRON_REMOTE_SCHEME, parseRemoteFilePath } from '@flashback/protocol'
import { APP_ORIGIN, REMOTE_FILE_CONTENT_SECURITY_POLICY } from './security.js'
import { type Logger } from '@flashback/peer'

export const REMOTE_HOST = 'peer'

/** Request headers passed to the peer: exactly what seeking needs. */
export const FORWARDED_REQUEST_HEADERS = ['range', 'if-range'] as const
/** Response headers passed back from the peer; everything else of its answer is dropped. */
export const FORWARDED_RESPONSE_HEADERS = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'etag', 'last-modified'] as const

/** A header longer than this is not a range anyone needs. */
const MAX_FORWARDED_HEADER_LENGTH = 1024

export interface RemoteFileRequest {
  email: string
  /** Path of a file from the peer's share root ('/'-separated, no leading slash). */
  path: string
  method: 'GET' | 'HEAD'
  /** Lower-case names, only FORWARDED_REQUEST_HEADERS. */
  headers: Record<string, string>
  signal?: AbortSignal
}

export interface RemoteFileResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  /** The body as it arrives (a Node stream from the runtime, or a web stream); null for none. */
  body: Readable | ReadableStream<Uint8Array> | null
}

/** The runtime's raw GET to a peer over mutual TLS (PeerClient.fetch, adapted in backend.ts). */
export type RemoteFileFetcher = (request: RemoteFileRequest) => Promise<RemoteFileResponse>

/** Headers on every answer of the protocol, whatever the peer said. */
export const REMOTE_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': REMOTE_FILE_CONTENT_SECURITY_POLICY,
  'cache-control': 'no-store',
  // Only the app's own page may read these bytes with fetch() (the scheme is fetch- and CORS-enabled for it).
  'access-control-allow-origin': APP_ORIGIN,
  'referrer-policy': 'no-referrer',
}

/** Statuses whose responses must not have a body (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])

function plain(status: number, code: string, message: string, extra: Record<string, string> = {}): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { ...REMOTE_RESPONSE_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'x-flashback-error': code, ...extra },
  })
}

/** Where a `flashback://` URL points, or null when it is not a plain file path inside a peer's share. */
export function parseRemoteFileUrl(url: string): { email: string; path: string } | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return null
  }
  if (parsed.protocol !== `${ELECTRON_REMOTE_SCHEME}:` || parsed.host !== REMOTE_HOST) return null
  if (parsed.username !== '' || parsed.password !== '') return null
  const target = parseRemoteFilePath(parsed.pathname)
  // The root folder ('' path) is not a file.
  if (!target || target.path === '') return null
  return target
}

function statusForError(err: unknown): { status: number; code: string } {
  const e = err as { code?: unknown; status?: unknown; name?: unknown } | null
  const code = typeof e?.code === 'string' ? e.code : 'unreachable'
  if (typeof e?.status === 'number' && e.status >= 400 && e.status <= 599) return { status: e.status, code }
  if (code === 'not_found') return { status: 404, code }
  if (code === 'forbidden') return { status: 403, code }
  if (code === 'peer_offline') return { status: 503, code }
  return { status: 502, code }
}

function toWebStream(body: Readable | ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  if (body instanceof Readable) return Readable.toWeb(body) as NodeWebReadableStream<Uint8Array> as unknown as ReadableStream<Uint8Array>
  return body
}

function discard(body: RemoteFileResponse['body']): void {
  if (!body) return
  if (body instanceof Readable) body.destroy()
  else body.cancel().catch(() => {})
}

/** The protocol handler (`protocol.handle('flashback', handler)`), as a plain function of a Request. */
export function createRemoteFileHandler(fetcher: RemoteFileFetcher, options: { log: Logger }): (request: Request) => Promise<Response> {
  return async (request) => {
    const method = request.method.toUpperCase()
    if (method !== 'GET' && method !== 'HEAD') {
      return plain(405, 'method_not_allowed', 'Only GET and HEAD are supported.', { allow: 'GET, HEAD' })
    }
    const target = parseRemoteFileUrl(request.url)
    if (!target) return plain(400, 'bad_request', 'Not a file of a peer: flashback://peer/<email>/<path>.')

    const headers: Record<string, string> = {}
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = request.headers.get(name)
      if (value === null) continue
      if (value.length > MAX_FORWARDED_HEADER_LENGTH) return plain(400, 'bad_request', `The ${name} header is too long.`)
      headers[name] = value
    }

    let upstream: RemoteFileResponse
    try {
      upstream = await fetcher({ email: target.email, path: target.path, method, headers, signal: request.signal })
    } catch (err) {
      const { status, code } = statusForError(err)
      if (!request.signal?.aborted) options.log.warn({ email: target.email, err, code }, 'a peer file could not be fetched')
      const message = err instanceof Error && err.message ? err.message : 'The peer could not be reached.'
      return plain(status, code, message.slice(0, 500))
    }

    const status = upstream.statusCode
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      discard(upstream.body)
      options.log.warn({ email: target.email, status }, 'a peer answered with an unusable status')
      return plain(502, 'bad_gateway', 'The peer gave an unusable answer.')
    }

    const out = new Headers(REMOTE_RESPONSE_HEADERS)
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const raw = upstream.headers[name] ?? upstream.headers[name.toLowerCase()]
      const value = Array.isArray(raw) ? raw.join(', ') : raw
      if (value === undefined || value === '') continue
      try {
        out.set(name, value)
      } catch {
        // A header value Headers refuses (control characters) is dropped, not forwarded.
      }
    }
    if (!out.has('content-type')) out.set('content-type', 'application/octet-stream')

    const noBody = method === 'HEAD' || NULL_BODY_STATUSES.has(status) || upstream.body === null
    if (noBody) discard(upstream.body)
    const body = noBody || !upstream.body ? null : toWebStream(upstream.body)
    return new Response(body, { status, headers: out })
  }
}
