import t from 'tap'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BridgeError, type BridgeEvent } from '@flashback/protocol'
import { createFakeApi } from '../../src/api/fake-api.js'
import { createHttpApi, exchangeSessionToken } from '../../src/api/http-api.js'
import { startUiServer } from '../../dev/fake-bridge.js'
import { NodeEventSource } from '../helpers/node-event-source.js'

const root = mkdtempSync(join(tmpdir(), 'fb-ui-'))

const rejection = async (p: Promise<unknown>): Promise<BridgeError> => {
  try {
    await p
  } catch (e) {
    return e as BridgeError
  }
  throw new Error('expected a rejection')
}

/** Waits until `check` passes, polling on events rather than on a clock budget (no timing assertions). */
const until = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10))
}

t.test('every method over POST /api/bridge/<name>', async (t) => {
  const fake = createFakeApi()
  const server = await startUiServer({ root, fake })
  t.teardown(() => server.close())
  const api = createHttpApi({ baseUrl: server.url.replace(/\/$/, ''), EventSource: NodeEventSource as unknown as typeof EventSource })
  t.teardown(() => api.close())

  t.equal((await api.getInfo()).mode, 'web', 'getInfo travels as JSON')
  t.equal((await api.getStatus()).registration, 'registered', 'getStatus with no argument')
  const listing = await api.listRemoteFiles({ email: 'alice@example.com', path: 'notes' })
  t.same(listing.entries.map((e) => e.name), ['old', 'ideas.txt', 'packing.md', 'plan.md'], 'a remote listing')
  t.match((await api.readRemoteText({ email: 'alice@example.com', path: 'notes/plan.md' })).text, /# Plan for the summer/, 'a remote text')
  const notOnline = await rejection(api.listRemoteFiles({ email: 'carol@example.com', path: '' }))
  t.type(notOnline, BridgeError, 'errors become BridgeErrors')
  t.equal(notOnline.code, 'not_online', 'with the code from the body')
  t.match(notOnline.message, /not online/, 'and its message')
  const invalid = await rejection(api.setSettings({ email: 'x', shareRoot: '/s', trackerUrl: 'https://t', trackerFingerprint: null, bindAll: false, access: 'open' }))
  t.equal(invalid.code, 'validation_failed', 'the server validates with the schema too')
  t.equal(invalid.field, 'email', 'and names the field')
  t.equal(api.remoteFileUrl('alice@example.com', 'photos/sunset.svg'), `${server.url}remote/alice%40example.com/photos/sunset.svg`, 'remote bytes URL')
  const bytes = await fetch(api.remoteFileUrl('alice@example.com', 'photos/sunset.svg'))
  t.equal(bytes.headers.get('content-type'), 'image/svg+xml', 'the remote bytes come with their type')

  const opened: string[] = []
  const api2 = createHttpApi({ baseUrl: server.url.replace(/\/$/, ''), openWindow: (u) => (opened.push(u), true) })
  t.same(await api2.openExternal({ url: 'https://example.org/x' }), { opened: true }, 'openExternal opens a tab in web mode')
  t.same(opened, ['https://example.org/x'], 'with the URL')
  t.equal((await rejection(api2.openExternal({ url: 'javascript:alert(1)' }))).code, 'validation_failed', 'but never a javascript: URL')
  t.equal(fake.control.calls.filter((c) => c.name === 'openExternal').length, 0, 'and never asks the server')
})

t.test('events over server-sent events', async (t) => {
  const fake = createFakeApi()
  const server = await startUiServer({ root, fake })
  t.teardown(() => server.close())
  const api = createHttpApi({ baseUrl: server.url.replace(/\/$/, ''), EventSource: NodeEventSource as unknown as typeof EventSource })
  const events: BridgeEvent[] = []
  const stop = api.subscribe((e) => events.push(e))
  const other: BridgeEvent[] = []
  const stopOther = api.subscribe((e) => other.push(e))
  // The stream is open once the server has a subscriber; then fire a change.
  await until(() => {
    fake.control.setPeerStatus('alice@example.com', 'offline')
    return events.length > 0
  })
  t.ok(events.some((e) => e.type === 'peer' && e.peer.email === 'alice@example.com' && e.peer.status === 'offline'), 'a peer event arrives through SSE')
  t.ok(other.length > 0, 'every subscriber gets the events')
  stop()
  stopOther()
  const before = events.length
  fake.control.setPeerStatus('alice@example.com', 'online')
  t.equal(events.length, before, 'after unsubscribing no more events are delivered')
})

t.test('reconnection resyncs missed state', async (t) => {
  class ControlledSource {
    static last: ControlledSource | null = null
    onmessage: ((m: MessageEvent) => void) | null = null
    onerror: (() => void) | null = null
    onopen: (() => void) | null = null
    closed = false
    constructor(readonly url: string) {
      ControlledSource.last = this
    }
    close() {
      this.closed = true
    }
  }
  const fake = createFakeApi({ sampleDownloads: true })
  const server = await startUiServer({ root, fake })
  t.teardown(() => server.close())
  const api = createHttpApi({ baseUrl: server.url.replace(/\/$/, ''), EventSource: ControlledSource as unknown as typeof EventSource })
  const events: BridgeEvent[] = []
  const stop = api.subscribe((e) => events.push(e))
  const source = ControlledSource.last as ControlledSource
  t.match(source.url, /\/api\/bridge\/events$/, 'the stream is at /api/bridge/events')
  source.onmessage?.({ data: 'not json' } as MessageEvent)
  source.onmessage?.({ data: JSON.stringify({ type: 'bogus' }) } as MessageEvent)
  t.equal(events.length, 0, 'malformed or unknown messages are dropped')
  source.onmessage?.({ data: JSON.stringify({ type: 'peer-removed', email: 'x@y.z' }) } as MessageEvent)
  t.same(events, [{ type: 'peer-removed', email: 'x@y.z' }], 'a valid message is delivered')
  source.onopen?.()
  t.equal(events.length, 1, 'the first open does not resync')
  source.onerror?.()
  source.onopen?.()
  await until(() => events.some((e) => e.type === 'status'))
  const types = new Set(events.map((e) => e.type))
  t.ok(types.has('status') && types.has('peers') && types.has('download'), 'after a reconnection status, peers and downloads are replayed')
  stop()
  t.ok(source.closed, 'the last unsubscribe closes the stream')
})

t.test('web mode sessions: 401 without the cookie, the token traded for one', async (t) => {
  const fake = createFakeApi()
  const token = 'tok_0123456789abcdefABCDEF'
  const server = await startUiServer({ root, fake, token })
  t.teardown(() => server.close())
  const base = server.url.replace(/\/$/, '')
  const api = createHttpApi({ baseUrl: base })
  const err = await rejection(api.getStatus())
  t.equal(err.code, 'unauthorized', 'without the cookie every call is unauthorized')

  // The exchange posts the token and strips it from the address bar.
  const posted: unknown[] = []
  const replaced: string[] = []
  const cookieJar: string[] = []
  const fetchWithJar: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? (input.startsWith('/') ? base + input : input) : input
    const headers = new Headers(init?.headers)
    if (cookieJar.length) headers.set('cookie', cookieJar.join('; '))
    if (init?.body) posted.push(JSON.parse(String(init.body)))
    const res = await fetch(url, { ...init, headers })
    const set = res.headers.get('set-cookie')
    if (set) cookieJar.push(set.split(';')[0] as string)
    return res
  }
  const ok = await exchangeSessionToken({
    fetch: fetchWithJar,
    location: { search: `?token=${token}&x=1`, hash: '#/peers', pathname: '/' } as Location,
    history: { replaceState: (_d: unknown, _t: string, url: string) => replaced.push(url) } as unknown as History,
  })
  t.equal(ok, true, 'a good token is accepted')
  t.same(posted[0], { token }, 'the token is posted as JSON')
  t.same(replaced, ['/?x=1#/peers'], 'the token leaves the address bar, the rest stays')
  const authed = createHttpApi({ baseUrl: base, fetch: fetchWithJar })
  t.equal((await authed.getStatus()).registration, 'registered', 'with the cookie calls succeed')

  const bad = await exchangeSessionToken({
    fetch: fetchWithJar,
    location: { search: '', hash: '#token=wrong_token_wrong_token', pathname: '/' } as Location,
    history: { replaceState: (_d: unknown, _t: string, url: string) => replaced.push(url) } as unknown as History,
  })
  t.equal(bad, false, 'a wrong token (from the fragment) is refused')
  t.equal(replaced.at(-1), '/', 'and still removed from the address bar')
  t.equal(await exchangeSessionToken({ location: { search: '', hash: '#/peers', pathname: '/' } as Location }), true, 'no token, nothing to do')
})

t.test('transport failures are explained', async (t) => {
  const api = createHttpApi({ baseUrl: 'http://127.0.0.1:1' })
  const err = await rejection(api.getStatus())
  t.equal(err.code, 'transport_error', 'a refused connection is a transport error')
  t.match(err.message, /Cannot reach Flashback/, 'with a sentence for people')
  const html = createHttpApi({ fetch: async () => new Response('<html>', { status: 502, statusText: 'Bad Gateway' }) })
  const e2 = await rejection(html.getStatus())
  t.equal(e2.code, 'internal_error', 'a non-JSON 5xx is an internal error')
  t.match(e2.message, /502 Bad Gateway/, 'naming the status')
  const garbage = createHttpApi({ fetch: async () => new Response('ok', { status: 200 }) })
  t.equal((await rejection(garbage.getStatus())).code, 'transport_error', 'a non-JSON success is refused')
})
