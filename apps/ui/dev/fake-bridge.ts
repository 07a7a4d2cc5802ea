/**
 * Web mode's bridge routes, answered by the in-memory fake API: `POST /api/bridge/<name>`, SSE at
 * `/api/bridge/events`, `/remote/<email>/<path>` with Range, and `POST /api/session` for the token exchange.
 * Used by `vite` dev (a middleware) and by the browser tests (a tiny static server over the built UI).
 * A dev tool, not the real web mode (that lives in apps/cli and talks to the peer runtime).
 */
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { type AddressInfo } from 'node:net'
import { extname, join, resolve, sep } from 'node:path'
import {
  BRIDGE_MAX_BODY_BYTES,
  bridgeErrorHttpStatus,
  isBridgeChannelName,
  parseRemoteFilePath,
  toBridgeError,
  WEB_BRIDGE_EVENTS_PATH,
  WEB_BRIDGE_PREFIX,
  WEB_REMOTE_PREFIX,
  WEB_SESSION_PATH,
  WebSessionBody,
} from '@flashback/protocol'
import { Value } from 'typebox/value'
import { type FakeFlashbackApi } from '../src/api/fake-api.js'

export interface FakeBridgeOptions {
  /** When set, every route but the session exchange needs the cookie this token buys. */
  token?: string
  /** Called for every /remote request with its Range header (tests check seeking). */
  onRemote?: (info: { email: string; path: string; range: string | undefined; status: number }) => void
}

const COOKIE = 'flashback_session'

function sendJson(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > BRIDGE_MAX_BODY_BYTES) throw Object.assign(new Error('body too large'), { code: 'payload_too_large' })
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

const hasSession = (req: IncomingMessage, token: string) =>
  (req.headers.cookie ?? '').split(/;\s*/).some((c) => c === `${COOKIE}=${token}`)

/** A connect-style handler: true when it answered, false to let the next handler (static files, Vite) answer. */
export function createFakeBridgeHandler(fake: FakeFlashbackApi, options: FakeBridgeOptions = {}) {
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const path = url.pathname
    const ours = path.startsWith(`${WEB_BRIDGE_PREFIX}/`) || path === WEB_SESSION_PATH || path.startsWith(`${WEB_REMOTE_PREFIX}/`)
    if (!ours) return false

    if (path === WEB_SESSION_PATH) {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'bad_request', message: 'POST only' }), true
      let body: unknown
      try {
        body = JSON.parse(await readBody(req))
      } catch {
        return sendJson(res, 400, { error: 'invalid_json', message: 'The body is not JSON.' }), true
      }
      if (!Value.Check(WebSessionBody, body) || (options.token !== undefined && (body as { token: string }).token !== options.token)) {
        return sendJson(res, 401, { error: 'unauthorized', message: 'This access token is not valid.' }), true
      }
      res.writeHead(204, { 'set-cookie': `${COOKIE}=${(body as { token: string }).token}; HttpOnly; SameSite=Strict; Path=/` })
      res.end()
      return true
    }
    if (options.token !== undefined && !hasSession(req, options.token)) {
      sendJson(res, 401, { error: 'unauthorized', message: 'Open the address with the access token that Flashback printed.' })
      return true
    }

    if (path === WEB_BRIDGE_EVENTS_PATH) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
      res.write(': connected\n\n')
      const unsubscribe = fake.subscribe((event) => res.write(`data: ${JSON.stringify(event)}\n\n`))
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000)
      keepAlive.unref()
      req.on('close', () => {
        clearInterval(keepAlive)
        unsubscribe()
      })
      return true
    }

    if (path.startsWith(`${WEB_BRIDGE_PREFIX}/`)) {
      const name = path.slice(WEB_BRIDGE_PREFIX.length + 1)
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'bad_request', message: 'POST only' }), true
      if (!isBridgeChannelName(name)) return sendJson(res, 404, { error: 'not_found', message: `No bridge method ${name}.` }), true
      let args: unknown
      try {
        const text = await readBody(req)
        args = text === '' ? {} : JSON.parse(text)
      } catch (e) {
        const code = (e as { code?: string }).code === 'payload_too_large' ? 'payload_too_large' : 'invalid_json'
        return sendJson(res, bridgeErrorHttpStatus(code), { error: code, message: 'The request body is not acceptable.' }), true
      }
      try {
        const method = fake[name] as (a: unknown) => Promise<unknown>
        sendJson(res, 200, await method(args))
      } catch (e) {
        const err = toBridgeError(e)
        sendJson(res, bridgeErrorHttpStatus(err.code), err.toJSON())
      }
      return true
    }

    // /remote/<email>/<path>: the bytes, with Range like the real proxy passes it through.
    const target = parseRemoteFilePath(path.slice(WEB_REMOTE_PREFIX.length + 1))
    const file = target ? fake.control.file(target.email, target.path) : null
    const range = req.headers.range
    const report = (status: number) => target && options.onRemote?.({ ...target, range, status })
    if (!target || !file) {
      report(404)
      sendJson(res, 404, { error: 'not_found', message: 'No such file.' })
      return true
    }
    const size = file.bytes.length
    const headers: Record<string, string | number> = {
      'content-type': file.mime,
      'accept-ranges': 'bytes',
      'last-modified': new Date(file.mtime).toUTCString(),
      'x-content-type-options': 'nosniff',
      'content-security-policy': 'sandbox',
    }
    let start = 0
    let end = size - 1
    let status = 200
    const m = range ? /^bytes=(\d*)-(\d*)$/.exec(range.trim()) : null
    if (m && (m[1] !== '' || m[2] !== '')) {
      if (m[1] === '') {
        start = Math.max(0, size - Number(m[2]))
      } else {
        start = Number(m[1])
        end = m[2] === '' ? size - 1 : Math.min(size - 1, Number(m[2]))
      }
      if (start >= size || start > end) {
        report(416)
        res.writeHead(416, { 'content-range': `bytes */${size}` })
        res.end()
        return true
      }
      status = 206
      headers['content-range'] = `bytes ${start}-${end}/${size}`
    }
    headers['content-length'] = end - start + 1
    report(status)
    res.writeHead(status, headers)
    res.end(req.method === 'HEAD' ? undefined : Buffer.from(file.bytes.buffer, file.bytes.byteOffset + start, end - start + 1))
    return true
  }
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}

export interface UiServer {
  url: string
  close(): Promise<void>
}

/** Serves a built UI folder plus the fake bridge on 127.0.0.1 (port 0), with an optional strict CSP header. */
export async function startUiServer(options: { root: string; fake: FakeFlashbackApi; csp?: string } & FakeBridgeOptions): Promise<UiServer> {
  const root = resolve(options.root)
  const bridge = createFakeBridgeHandler(options.fake, options)
  const server = createServer((req, res) => {
    void (async () => {
      try {
        if (await bridge(req, res)) return
        const url = new URL(req.url ?? '/', 'http://127.0.0.1')
        let rel = decodeURIComponent(url.pathname)
        if (rel.endsWith('/')) rel += 'index.html'
        const file = resolve(join(root, rel))
        if (!(file === root || file.startsWith(root + sep)) || !existsSync(file) || !statSync(file).isFile()) {
          res.writeHead(404, { 'content-type': 'text/plain' })
          res.end('not found')
          return
        }
        const headers: Record<string, string> = { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'x-content-type-options': 'nosniff' }
        if (options.csp && extname(file) === '.html') headers['content-security-policy'] = options.csp
        res.writeHead(200, headers)
        createReadStream(file).pipe(res)
      } catch (e) {
        if (!res.headersSent) res.writeHead(500)
        res.end(String(e))
      }
    })()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
