/** Small helpers of the web-mode server: JSON answers in the `{ error, message }` shape, bounded JSON bodies. */
import { type IncomingMessage, type ServerResponse } from 'node:http'
import { BridgeError, ErrorCode } from '@flashback/protocol'
import { SECURITY_HEADERS, WEB_CONTENT_SECURITY_POLICY } from './security.js'

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-security-policy': WEB_CONTENT_SECURITY_POLICY,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}

export function sendError(res: ServerResponse, status: number, error: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  sendJson(res, status, { error, message }, headers)
}

/** `application/json` (with or without parameters). */
export function isJsonRequest(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  return type === 'application/json'
}

/**
 * The request body parsed as JSON (`{}` when empty), at most `maxBytes`. Throws BridgeErrors: payload_too_large,
 * unsupported_media_type (not JSON: also what stops a plain HTML form), invalid_json.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  if (!isJsonRequest(req)) {
    // Drain nothing: the connection is closed after the answer (see `sendError` callers).
    throw new BridgeError(ErrorCode.unsupportedMediaType, 'Send the request body as application/json.')
  }
  const declared = Number(req.headers['content-length'] ?? 0)
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new BridgeError(ErrorCode.payloadTooLarge, `The request body is larger than ${maxBytes} bytes.`)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) throw new BridgeError(ErrorCode.payloadTooLarge, `The request body is larger than ${maxBytes} bytes.`)
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new BridgeError(ErrorCode.invalidJson, 'The request body is not valid JSON.')
  }
}
