/**
 * Web mode: the desktop app's renderer served to a browser on this computer, with the bridge over HTTP.
 *
 *   const web = await startWebUi({ runtime, port: 0, uiDir, logger })
 *   console.log(web.url)        // http://127.0.0.1:<port>/#token=…   (also logged: "web ui ready")
 *   await web.close()
 *
 * Routes (see shared/protocol/src/bridge.ts):
 *   GET  /, /assets/…            the built UI (public: it holds no secret)
 *   POST /api/session            { token } → 204 + the session cookie, or 401
 *   POST /api/bridge/<name>      one FlashbackApi method                     ┐
 *   GET  /api/bridge/events      server-sent events                          ├ need the cookie, else 401
 *   GET  /remote/<email>/<path>  a peer's file, Range passed through          ┘
 * Every request must name 127.0.0.1:<port> or localhost:<port> as Host, and everything but the UI's files must come
 * from this origin (Origin, Sec-Fetch-Site): else 403. See security.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { type AddressInfo } from 'node:net'
import Value from 'typebox/value'
import {
  WEB_BRIDGE_EVENTS_PATH,
  WEB_BRIDGE_PREFIX,
  WEB_REMOTE_PREFIX,
  WEB_SESSION_PATH,
  WebSessionBody,
  type FlashbackApi,
} from '@flashback/protocol'
import { createRuntimeBridge, RUNTIME_VERSION, silentLogger, type Logger, type PeerRuntime, type RuntimeBridgeOptions } from '@flashback/peer'
import { createEventStreams, handleBridgeCall, sendBridgeError, type EventStreamOptions } from './bridge-routes.js'
import { readJsonBody, sendError } from './http-util.js'
import { handleRemoteFile, type RemoteRequestInfo } from './remote-proxy.js'
import { checkHost, checkSameOrigin, newSecret, readCookie, sameSecret, SECURITY_HEADERS, sessionCookie, sessionCookieName } from './security.js'
import { createStaticFiles } from './static-files.js'

export interface WebUiOptions {
  runtime: PeerRuntime
  /** The FlashbackApi to serve; default: `createRuntimeBridge(runtime, <web hooks>)`, closed with the server. */
  bridge?: FlashbackApi
  /** Options of the default bridge (e.g. how often the peers list is refreshed). */
  bridgeOptions?: RuntimeBridgeOptions
  /** TCP port on 127.0.0.1; 0 lets the system choose. */
  port: number
  /** The built renderer: apps/ui/dist. */
  uiDir: string
  /** pino (or anything with its call shape); the "web ui ready" line goes here. */
  logger?: Logger
  /** The access token; default 256 random bits. Only tests choose one. */
  token?: string
  /** Event stream tuning (keep-alive, limits). */
  events?: EventStreamOptions
  /** Called for each `/remote` request once the peer answered (or failed). */
  onRemoteRequest?: (info: RemoteRequestInfo) => void
}

export interface WebUi {
  /** `http://127.0.0.1:<port>/#token=<token>`: open it to use the UI (the fragment never reaches a server log). */
  url: string
  port: number
  /** Stops the server: event streams end, connections close, the default bridge detaches. The runtime keeps running. */
  close(): Promise<void>
}

const SESSION_BODY_MAX_BYTES = 1024

/** The web shell's hooks: no folder picker, no file manager; the page opens outside links itself. */
const webShellHooks = () => ({ mode: 'web' as const, version: RUNTIME_VERSION })

export async function startWebUi(options: WebUiOptions): Promise<WebUi> {
  const logger = options.logger ?? silentLogger
  const runtime = options.runtime
  const staticFiles = await createStaticFiles(options.uiDir)
  if (options.token !== undefined && !Value.Check(WebSessionBody, { token: options.token })) {
    throw new Error('the web UI token must be 16 to 256 characters of [A-Za-z0-9_-]')
  }
  const token = options.token ?? newSecret()
  // The cookie's value is another secret: the token stays in the URL, the session in the cookie jar.
  const session = newSecret()
  const ownBridge = options.bridge ? undefined : createRuntimeBridge(runtime, webShellHooks(), { logger, ...options.bridgeOptions })
  const bridge: FlashbackApi = options.bridge ?? (ownBridge as FlashbackApi)
  const streams = createEventStreams(bridge, logger, options.events)
  let port = 0

  const hasSession = (req: IncomingMessage) => {
    const value = readCookie(req, sessionCookieName(port))
    return value !== undefined && sameSecret(value, session)
  }

  async function exchangeToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      sendError(res, 405, 'bad_request', 'Trade the token with POST.', { allow: 'POST' })
      return
    }
    let body: unknown
    try {
      body = await readJsonBody(req, SESSION_BODY_MAX_BYTES)
    } catch (err) {
      sendBridgeError(res, err)
      return
    }
    if (!Value.Check(WebSessionBody, body)) {
      sendError(res, 400, 'validation_failed', 'Send { "token": "…" } with the token of the printed address.')
      return
    }
    if (!sameSecret((body as WebSessionBody).token, token)) {
      logger.warn({ remote: req.socket.remoteAddress }, 'web ui: a wrong access token was offered')
      sendError(res, 401, 'unauthorized', 'This access token is not valid. Open the address Flashback printed when it started.')
      return
    }
    res.writeHead(204, { ...SECURITY_HEADERS, 'cache-control': 'no-store', 'set-cookie': sessionCookie(port, session) })
    res.end()
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hostCheck = checkHost(req, port)
    if (!hostCheck.ok) {
      sendError(res, 403, 'forbidden', hostCheck.message)
      return
    }
    const url = req.url ?? '/'
    // The raw path, still percent-encoded: /remote/ decodes each segment exactly once itself.
    const rawPath = url.split(/[?#]/, 1)[0] ?? '/'
    const api = rawPath.startsWith('/api/') || rawPath === '/api' || rawPath.startsWith(`${WEB_REMOTE_PREFIX}/`) || rawPath === WEB_REMOTE_PREFIX

    // The UI's own files are public (the page must load before it can trade the token).
    if (!api && (req.method === 'GET' || req.method === 'HEAD') && (await staticFiles.serve(req, res, rawPath))) return

    const originCheck = checkSameOrigin(req)
    if (!originCheck.ok) {
      sendError(res, 403, 'forbidden', originCheck.message)
      return
    }
    if (rawPath === WEB_SESSION_PATH) {
      await exchangeToken(req, res)
      return
    }
    if (!hasSession(req)) {
      sendError(res, 401, 'unauthorized', 'Open the address with the access token that Flashback printed when it started.')
      return
    }
    if (rawPath === WEB_BRIDGE_EVENTS_PATH) {
      streams.open(req, res)
      return
    }
    if (rawPath.startsWith(`${WEB_BRIDGE_PREFIX}/`)) {
      await handleBridgeCall(bridge, req, res, rawPath, logger)
      return
    }
    if (rawPath.startsWith(`${WEB_REMOTE_PREFIX}/`)) {
      await handleRemoteFile(runtime, req, res, rawPath, logger, options.onRemoteRequest)
      return
    }
    sendError(res, 404, 'not_found', 'There is nothing here.')
  }

  const server = createServer({ requestTimeout: 60_000, headersTimeout: 30_000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'web ui: request failed')
      sendError(res, 500, 'internal_error', 'Something went wrong inside Flashback; the details are in its log.')
    })
  })
  server.keepAliveTimeout = 5_000
  server.maxHeadersCount = 100

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      ownBridge?.close()
      reject(
        err.code === 'EADDRINUSE'
          ? Object.assign(new Error(`the web UI port ${options.port} is already in use on 127.0.0.1`), { code: err.code })
          : err,
      )
    }
    server.once('error', onError)
    server.listen(options.port, '127.0.0.1', () => {
      server.removeListener('error', onError)
      resolve()
    })
  })
  port = (server.address() as AddressInfo).port
  const webUrl = `http://127.0.0.1:${port}/#token=${token}`
  logger.info({ url: webUrl, port }, 'web ui ready')

  let closing: Promise<void> | undefined
  return {
    url: webUrl,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        streams.closeAll()
        ownBridge?.close()
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}
