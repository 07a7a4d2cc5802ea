/**
 * `FlashbackApi` over HTTP: `POST /api/bridge/<name>` with the JSON argument (validated against the channel's
 * schema, at most BRIDGE_MAX_BODY_BYTES) answered with the JSON result or `{ error, message, field? }` and the
 * status `bridgeErrorHttpStatus` gives; and the event stream as server-sent events at `GET /api/bridge/events`,
 * one JSON `BridgeEvent` per message.
 */
import { type IncomingMessage, type ServerResponse } from 'node:http'
import {
  BridgeError,
  BRIDGE_MAX_BODY_BYTES,
  bridgeErrorHttpStatus,
  checkBridgeArgs,
  isBridgeChannelName,
  toBridgeError,
  WEB_BRIDGE_PREFIX,
  type BridgeEvent,
  type FlashbackApi,
} from '@flashback/protocol'
import { type Logger } from '@flashback/peer'
import { readJsonBody, sendError, sendJson } from './http-util.js'
import { SECURITY_HEADERS, WEB_CONTENT_SECURITY_POLICY } from './security.js'

/** Anything thrown by a call → its HTTP answer. */
export function sendBridgeError(res: ServerResponse, thrown: unknown): void {
  const err = toBridgeError(thrown)
  const status = bridgeErrorHttpStatus(err.code)
  if (res.headersSent) {
    res.destroy()
    return
  }
  // A refused body may still be on its way: do not keep a connection whose remaining bytes we never read.
  sendJson(res, status, err.toJSON(), status === 413 || status === 415 ? { connection: 'close' } : {})
}

export async function handleBridgeCall(bridge: FlashbackApi, req: IncomingMessage, res: ServerResponse, rawPath: string, logger: Logger): Promise<void> {
  const name = rawPath.slice(WEB_BRIDGE_PREFIX.length + 1)
  if (!isBridgeChannelName(name)) {
    sendError(res, 404, 'not_found', `There is no bridge method ${JSON.stringify(name.slice(0, 64))}.`)
    return
  }
  if (req.method !== 'POST') {
    sendError(res, 405, 'bad_request', `Call ${name} with POST.`, { allow: 'POST' })
    return
  }
  try {
    const body = await readJsonBody(req, BRIDGE_MAX_BODY_BYTES)
    const args = checkBridgeArgs(name, body)
    const method = bridge[name] as (a: unknown) => Promise<unknown>
    const result = await method.call(bridge, args)
    sendJson(res, 200, result)
  } catch (err) {
    const bridgeError = toBridgeError(err)
    // The runtime bridge logs its own unexpected failures; a raw error comes from an injected bridge.
    if (!(err instanceof BridgeError) && bridgeError.code === 'internal_error') logger.error({ err, method: name }, 'a bridge call failed')
    else logger.debug({ method: name, error: bridgeError.code }, 'a bridge call was refused')
    sendBridgeError(res, err)
  }
}

export interface EventStreams {
  /** Answers `GET /api/bridge/events` with a stream that lasts until the browser or the server goes. */
  open(req: IncomingMessage, res: ServerResponse): void
  readonly count: number
  /** Ends every stream (server shutdown). */
  closeAll(): void
}

export interface EventStreamOptions {
  /** A comment line this often keeps proxies and the browser from timing out (default 15 s). */
  keepAliveMs?: number
  /** Streams open at once at most (default 16): each holds a subscription. */
  maxStreams?: number
  /** A browser that stopped reading is dropped once this much is queued for it (default 1 MiB); it reconnects. */
  maxQueuedBytes?: number
}

export function createEventStreams(bridge: FlashbackApi, logger: Logger, options: EventStreamOptions = {}): EventStreams {
  const keepAliveMs = options.keepAliveMs ?? 15_000
  const maxStreams = options.maxStreams ?? 16
  const maxQueued = options.maxQueuedBytes ?? 1024 * 1024
  const open = new Set<() => void>()

  return {
    get count() {
      return open.size
    },
    open(req, res) {
      if (req.method !== 'GET') {
        sendError(res, 405, 'bad_request', 'Open the event stream with GET.', { allow: 'GET' })
        return
      }
      if (open.size >= maxStreams) {
        sendError(res, 503, 'unavailable', 'Too many event streams are open; close other Flashback tabs.', { 'retry-after': '5' })
        return
      }
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-security-policy': WEB_CONTENT_SECURITY_POLICY,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      res.flushHeaders()
      // The browser waits this long before reconnecting (it then resynchronises: see the UI's http-api).
      res.write('retry: 2000\n: connected\n\n')
      const write = (chunk: string) => {
        if (res.writableLength > maxQueued) {
          logger.warn({ queued: res.writableLength }, 'dropping an event stream that stopped reading')
          res.destroy()
          return
        }
        res.write(chunk)
      }
      const send = (event: BridgeEvent) => write(`data: ${JSON.stringify(event)}\n\n`)
      const unsubscribe = bridge.subscribe(send)
      const keepAlive = setInterval(() => write(': keep-alive\n\n'), keepAliveMs)
      keepAlive.unref()
      let closed = false
      const close = () => {
        if (closed) return
        closed = true
        clearInterval(keepAlive)
        unsubscribe()
        open.delete(close)
        if (!res.writableEnded) res.end()
      }
      open.add(close)
      res.on('close', close)
      // The current status first, so a page that reconnects is never behind.
      bridge.getStatus().then(
        (status) => !closed && send({ type: 'status', status }),
        () => {},
      )
    },
    closeAll() {
      for (const close of [...open]) close()
    },
  }
}
