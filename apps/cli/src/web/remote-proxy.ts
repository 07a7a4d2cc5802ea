/**
 * `/remote/<email>/<path>`: a peer's file bytes for the UI's `<img>`, `<video>` and `<audio>`, fetched through the
 * runtime's peer client (mutual TLS, pinned certificate). `Range`, `If-Range` and the other conditional headers go
 * to the peer as they came; its answer comes back as it is (200, 206, 304, 416, 404…) with the headers seeking
 * needs, streaming, never buffered. A peer's file is hostile content: `nosniff` and a sandboxing CSP on every answer.
 * When the browser goes away (a seek cancels the previous request), the request to the peer is aborted too.
 */
import { type IncomingMessage, type ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { bridgeErrorHttpStatus, ErrorCode, parseRemoteFilePath, WEB_REMOTE_PREFIX } from '@flashback/protocol'
import { toBridgeErrorFromRuntime, type Logger, type PeerRuntime } from '@flashback/peer'
import { REMOTE_CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from './security.js'

/** Request headers passed on to the peer (the runtime filters again). */
export const PROXIED_REQUEST_HEADERS = ['range', 'if-range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since'] as const
/** Response headers passed back; ours replace the peer's CSP, nosniff and caching. */
export const PROXIED_RESPONSE_HEADERS = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'etag', 'last-modified', 'content-disposition'] as const
/** No legitimate range or validator is longer. */
const MAX_HEADER_LENGTH = 1024

const REMOTE_HEADERS: Readonly<Record<string, string>> = {
  ...SECURITY_HEADERS,
  'content-security-policy': REMOTE_CONTENT_SECURITY_POLICY,
  'cache-control': 'no-store',
}

/** What one proxied request did (for the log, and for tests that check seeking). */
export interface RemoteRequestInfo {
  email: string
  path: string
  method: 'GET' | 'HEAD'
  range: string | undefined
  status: number
}

function sendProblem(res: ServerResponse, status: number, error: string, message: string): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const text = JSON.stringify({ error, message })
  res.writeHead(status, { ...REMOTE_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

export async function handleRemoteFile(
  runtime: PeerRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  rawPath: string,
  logger: Logger,
  onRequest?: (info: RemoteRequestInfo) => void,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD')
    sendProblem(res, 405, ErrorCode.badRequest, 'Only GET and HEAD are allowed here.')
    return
  }
  const method = req.method
  const target = parseRemoteFilePath(rawPath.slice(WEB_REMOTE_PREFIX.length + 1))
  if (!target) {
    sendProblem(res, 400, ErrorCode.badRequest, 'This is not the address of a file in a peer’s house.')
    return
  }
  if (target.path === '') {
    sendProblem(res, 404, ErrorCode.notFound, 'A house’s root is a folder, not a file.')
    return
  }
  const headers: Record<string, string> = {}
  for (const name of PROXIED_REQUEST_HEADERS) {
    const value = req.headers[name]
    if (typeof value === 'string' && value.length <= MAX_HEADER_LENGTH) headers[name] = value
  }
  const report = (status: number) => {
    const info: RemoteRequestInfo = { email: target.email, path: target.path, method, range: headers.range, status }
    logger.debug(info, 'remote file')
    onRequest?.(info)
  }

  // A seek makes the browser drop the previous request: stop asking the peer for bytes nobody reads.
  const abort = new AbortController()
  const onClose = () => {
    if (!res.writableFinished) abort.abort(new Error('the browser went away'))
  }
  res.once('close', onClose)

  let remote: Awaited<ReturnType<PeerRuntime['fetchRemote']>>
  try {
    remote = await runtime.fetchRemote(target.email, target.path, { method, headers, signal: abort.signal })
  } catch (err) {
    if (abort.signal.aborted) return
    const bridgeError = toBridgeErrorFromRuntime(err)
    if (bridgeError.internal) logger.error({ err, email: target.email }, 'remote file fetch failed')
    const status = bridgeErrorHttpStatus(bridgeError.code)
    report(status)
    sendProblem(res, status, bridgeError.code, bridgeError.message)
    return
  }

  const out: Record<string, string> = { ...REMOTE_HEADERS }
  for (const name of PROXIED_RESPONSE_HEADERS) {
    const value = remote.headers[name]
    if (value !== undefined) out[name] = value
  }
  out['content-type'] ??= 'application/octet-stream'
  report(remote.statusCode)
  const bodyless = method === 'HEAD' || remote.statusCode === 304 || remote.statusCode === 204
  res.writeHead(remote.statusCode, out)
  if (bodyless) {
    remote.body.resume()
    res.end()
    return
  }
  try {
    await pipeline(remote.body, res, { signal: abort.signal })
  } catch (err) {
    if (!abort.signal.aborted) logger.debug({ err: (err as Error).message, email: target.email }, 'remote file stream ended early')
    res.destroy()
  } finally {
    res.removeListener('close', onClose)
  }
}
