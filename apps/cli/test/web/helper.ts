/**
 * Web-mode test helpers: raw HTTP on 127.0.0.1 (node:http, so tests choose every header, Host and Origin included),
 * a tiny built UI folder, and a logged-in session.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { startWebUi, type WebUi, type WebUiOptions } from '../../src/web/index.js'

export type TapTest = Test

export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  text: string
  json: unknown
}

export interface RequestOptions {
  method?: string
  headers?: Record<string, string>
  body?: string | Buffer
}

/** One HTTP request to the web UI on 127.0.0.1:<port>; Host defaults to 127.0.0.1:<port>. */
export function request(port: number, path: string, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: `127.0.0.1:${port}`, ...options.headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const body = Buffer.concat(chunks)
          const text = body.toString('utf8')
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json })
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** A built UI stand-in: index.html and one asset. */
export async function makeUiDir(dir: string): Promise<string> {
  await mkdir(join(dir, 'assets'), { recursive: true })
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>Flashback</title><script type="module" src="./assets/app.js"></script>\n')
  await writeFile(join(dir, 'assets', 'app.js'), 'console.log("flashback")\n')
  await writeFile(join(dir, '.secret'), 'dotfile\n')
  return dir
}

export interface LogLine {
  level: string
  obj: Record<string, unknown>
  msg: string | undefined
}

/** A pino-shaped logger that keeps what it is told. */
export function memoryLogger() {
  const lines: LogLine[] = []
  const at = (level: string) => (obj: object | string, msg?: string) =>
    void lines.push(typeof obj === 'string' ? { level, obj: {}, msg: obj } : { level, obj: obj as Record<string, unknown>, msg })
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } }
}

export async function startTestWebUi(t: TapTest, options: Omit<WebUiOptions, 'port' | 'uiDir'> & { uiDir?: string; port?: number }): Promise<WebUi> {
  // Not t.testdir(): calling it again would empty the folder the test already uses.
  let uiDir = options.uiDir
  if (uiDir === undefined) {
    const dir = await mkdtemp(join(tmpdir(), 'flashback-ui-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    uiDir = await makeUiDir(dir)
  }
  const web = await startWebUi({ port: 0, ...options, uiDir })
  t.teardown(() => web.close())
  return web
}

/** The token of a web UI's printed URL. */
export const tokenOf = (web: WebUi): string => new URL(web.url).hash.replace(/^#token=/, '')

/** Trades the token for the session cookie; returns the `Cookie` header value. */
export async function login(web: WebUi): Promise<string> {
  const reply = await request(web.port, '/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${web.port}` },
    body: JSON.stringify({ token: tokenOf(web) }),
  })
  const cookie = reply.headers['set-cookie']?.[0]
  if (reply.status !== 204 || !cookie) throw new Error(`login failed: ${reply.status} ${reply.text}`)
  return cookie.split(';')[0] as string
}

/** Calls a bridge method over HTTP as the page would. */
export function callBridge(web: WebUi, cookie: string, name: string, args: unknown = {}, headers: Record<string, string> = {}): Promise<Reply> {
  return request(web.port, `/api/bridge/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, origin: `http://127.0.0.1:${web.port}`, 'sec-fetch-site': 'same-origin', ...headers },
    body: JSON.stringify(args),
  })
}

export interface EventStreamReader {
  status: number
  headers: IncomingHttpHeaders
  /** Every `data:` payload so far, parsed. */
  events: unknown[]
  /** Resolves with the first event (from now on or already received) that matches. */
  next(match: (event: unknown) => boolean, timeoutMs?: number): Promise<unknown>
  close(): void
  closed: Promise<void>
}

/** Opens `/api/bridge/events` and parses server-sent events as they come. */
export function openEvents(web: WebUi, cookie: string): Promise<EventStreamReader> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: web.port, path: '/api/bridge/events', headers: { host: `127.0.0.1:${web.port}`, cookie, accept: 'text/event-stream' }, agent: false },
      (res) => {
        const events: unknown[] = []
        const waiters: { match: (e: unknown) => boolean; resolve: (e: unknown) => void }[] = []
        let buffer = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          buffer += chunk
          let end: number
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const data = block
              .split('\n')
              .filter((l) => l.startsWith('data: '))
              .map((l) => l.slice(6))
              .join('\n')
            if (!data) continue
            const event: unknown = JSON.parse(data)
            events.push(event)
            for (const w of [...waiters]) {
              if (w.match(event)) {
                waiters.splice(waiters.indexOf(w), 1)
                w.resolve(event)
              }
            }
          }
        })
        const closed = new Promise<void>((r) => res.on('close', () => r()))
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          events,
          closed,
          next(match, timeoutMs = 20_000) {
            const found = events.find(match)
            if (found !== undefined) return Promise.resolve(found)
            return new Promise((resolveEvent, rejectEvent) => {
              const timer = setTimeout(() => rejectEvent(new Error('no matching event in time')), timeoutMs)
              waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolveEvent(e)) })
            })
          },
          close: () => req.destroy(),
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}
