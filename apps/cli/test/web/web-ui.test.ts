import t from 'tap'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { BRIDGE_MAX_BODY_BYTES, type BridgeEvent } from '@flashback/protocol'
import { createPeerRuntime } from '@flashback/peer'
import { resolveUiDir, startWebUi, type RemoteRequestInfo } from '../../src/web/index.js'
import { callBridge, login, makeUiDir, memoryLogger, openEvents, request, startTestWebUi, tokenOf } from './helper.js'
import { makePeer, patternBytes, startTestTracker } from '../helpers/peers.js'

/** A runtime without settings: enough for everything that does not visit a peer. */
async function bareRuntime(t: Parameters<typeof startTestWebUi>[0]) {
  const runtime = await createPeerRuntime({ profileDir: await mkdtemp(join(tmpdir(), 'flashback-profile-')) })
  t.teardown(() => rm(runtime.profile.dir, { recursive: true, force: true }))
  t.teardown(() => runtime.stop())
  return runtime
}

t.test('starts on 127.0.0.1 with a 256-bit token in the URL and logs "web ui ready"', async (t) => {
  const runtime = await bareRuntime(t)
  const { lines, logger } = memoryLogger()
  const web = await startTestWebUi(t, { runtime, logger })
  t.match(web.url, new RegExp(`^http://127\\.0\\.0\\.1:${web.port}/#token=[A-Za-z0-9_-]{43}$`), 'the URL names loopback, the port and a 32-byte token')
  t.ok(web.port > 0, 'a port was chosen')
  const ready = lines.find((l) => l.msg === 'web ui ready')
  t.match(ready?.obj, { url: web.url, port: web.port }, 'the ready line carries the URL to open')
  const again = await startTestWebUi(t, { runtime })
  t.not(tokenOf(again), tokenOf(web), 'every start draws a new token')

  const base = t.testdir()
  await t.rejects(startWebUi({ runtime, port: 0, uiDir: join(base, 'missing') }), /not built.*npm run build -w @flashback\/ui/, 'a missing UI build is one clear error')
  const blocker = createServer()
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => blocker.close(() => r())))
  const taken = (blocker.address() as { port: number }).port
  await t.rejects(startWebUi({ runtime, port: taken, uiDir: await makeUiDir(join(base, 'ui2')) }), { code: 'EADDRINUSE', message: /already in use/ }, 'a taken port is one clear error')
})

t.test('the UI files are public, with strict security headers; nothing else is', async (t) => {
  const web = await startTestWebUi(t, { runtime: await bareRuntime(t) })
  const page = await request(web.port, '/')
  t.equal(page.status, 200, 'the page loads without the cookie (it must, to trade the token)')
  t.match(page.headers['content-type'], /^text\/html/, 'as HTML')
  const csp = String(page.headers['content-security-policy'])
  t.match(csp, /default-src 'self'/, "CSP: default-src 'self'")
  t.match(csp, /script-src 'self'(;|$)/, 'CSP: scripts from this origin only')
  t.notMatch(csp, /unsafe-inline|unsafe-eval/, 'CSP: no inline script, no eval')
  t.match(csp, /frame-ancestors 'none'/, 'CSP: no framing')
  t.equal(page.headers['x-content-type-options'], 'nosniff', 'nosniff')
  t.equal(page.headers['referrer-policy'], 'no-referrer', 'no referrer')
  t.equal(page.headers['x-frame-options'], 'DENY', 'no framing for old browsers either')
  t.equal(page.headers['cache-control'], 'no-store', 'the page is never cached')
  const asset = await request(web.port, '/assets/app.js')
  t.equal(asset.status, 200, 'assets load')
  t.match(asset.headers['content-type'], /^text\/javascript/, 'as JavaScript')
  t.match(asset.headers['cache-control'], /immutable/, 'hashed assets may be cached')
  t.equal((await request(web.port, '/.secret')).status, 401, 'dotfiles are not UI files')
  t.equal((await request(web.port, '/assets/..%2f..%2fetc%2fpasswd')).status, 401, 'an encoded traversal is not a UI file')
  t.equal((await request(web.port, '/%2e%2e/index.html')).status, 401, 'nor an encoded ..')
  t.equal((await request(web.port, '/nope.js')).status, 401, 'an unknown path without the cookie is 401')
  const refused = await request(web.port, '/api/bridge/getStatus', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  t.equal(refused.status, 401, 'a bridge call without the cookie is 401')
  t.match(refused.json, { error: 'unauthorized', message: /address with the access token/ }, 'with a JSON error body saying what to do')
  t.equal((await request(web.port, '/api/bridge/events')).status, 401, 'the event stream needs the cookie')
  t.equal((await request(web.port, '/remote/alice%40example.com/a.png')).status, 401, 'remote files need the cookie')
  t.equal((await request(web.port, '/api/bridge/getStatus', { method: 'POST', headers: { 'content-type': 'application/json', cookie: `flashback_session_${web.port}=forged` }, body: '{}' })).status, 401, 'a forged cookie is 401')
})

t.test('the token buys an HttpOnly SameSite=Strict cookie; a wrong one buys nothing', async (t) => {
  const { lines, logger } = memoryLogger()
  const web = await startTestWebUi(t, { runtime: await bareRuntime(t), logger })
  const post = (body: string, type = 'application/json') =>
    request(web.port, '/api/session', { method: 'POST', headers: { 'content-type': type }, body })
  const wrong = await post(JSON.stringify({ token: 'x'.repeat(43) }))
  t.equal(wrong.status, 401, 'a wrong token is 401')
  t.match(wrong.json, { error: 'unauthorized' }, 'as a JSON error')
  t.equal(wrong.headers['set-cookie'], undefined, 'and sets no cookie')
  t.ok(lines.some((l) => l.msg === 'web ui: a wrong access token was offered' && !JSON.stringify(l).includes(tokenOf(web))), 'a wrong token is logged, without any token')
  t.equal((await post('{"token": 1}')).status, 400, 'a malformed body is 400')
  t.equal((await post(JSON.stringify({ token: tokenOf(web) }), 'text/plain')).status, 415, 'a form-like text/plain body is refused (415)')
  t.equal((await request(web.port, '/api/session')).status, 405, 'GET does not trade tokens')

  const right = await post(JSON.stringify({ token: tokenOf(web) }))
  t.equal(right.status, 204, 'the right token is accepted')
  const cookie = right.headers['set-cookie']?.[0] ?? ''
  t.match(cookie, new RegExp(`^flashback_session_${web.port}=[A-Za-z0-9_-]{43};`), 'the cookie is named after the port (two web UIs on one host do not clash)')
  t.match(cookie, /; HttpOnly/, 'HttpOnly: page scripts cannot read it')
  t.match(cookie, /; SameSite=Strict/, 'SameSite=Strict: other sites cannot send it')
  t.match(cookie, /; Path=\//, 'for the whole server')
  t.notMatch(cookie, tokenOf(web), 'the cookie is not the token itself')
  const session = cookie.split(';')[0] as string
  const status = await callBridge(web, session, 'getStatus')
  t.equal(status.status, 200, 'with the cookie, bridge calls work')
  t.equal((await callBridge(web, `flashback_session_${web.port + 1}=${session.split('=')[1]}`, 'getStatus')).status, 401, "another port's cookie name does not count")
  t.equal((await request(web.port, '/nope', { headers: { cookie: session } })).status, 404, 'with the cookie an unknown path is 404')
})

t.test('Host and Origin checks stop DNS rebinding and other sites', async (t) => {
  const web = await startTestWebUi(t, { runtime: await bareRuntime(t) })
  const cookie = await login(web)
  const origin = `http://127.0.0.1:${web.port}`
  const rebound = await callBridge(web, cookie, 'getStatus', {}, { host: `evil.example:${web.port}` })
  t.equal(rebound.status, 403, 'a rebound name in Host is refused even with the cookie')
  t.match(rebound.json, { error: 'forbidden' }, 'as a JSON error')
  t.equal((await request(web.port, '/', { headers: { host: `evil.example:${web.port}` } })).status, 403, 'even for the page')
  t.equal((await request(web.port, '/', { headers: { host: `127.0.0.1:${web.port + 1}` } })).status, 403, 'another port in Host is refused')
  t.equal((await request(web.port, '/', { headers: { host: '127.0.0.1' } })).status, 403, 'a Host without the port is refused')
  t.equal((await callBridge(web, cookie, 'getStatus', {}, { host: `localhost:${web.port}`, origin: `http://localhost:${web.port}` })).status, 200, 'localhost:<port> is this server too')
  t.equal((await callBridge(web, cookie, 'getStatus', {}, { origin: 'https://evil.example' })).status, 403, 'another Origin is refused')
  t.equal((await callBridge(web, cookie, 'getStatus', {}, { origin: `http://127.0.0.1:${web.port + 1}` })).status, 403, 'another web UI on another port is another origin')
  t.equal((await callBridge(web, cookie, 'getStatus', {}, { origin: 'null' })).status, 403, 'an opaque origin is refused')
  t.equal((await callBridge(web, cookie, 'getStatus', {}, { origin, 'sec-fetch-site': 'same-site' })).status, 403, 'a same-site (other port) fetch is refused')
  t.equal((await callBridge(web, cookie, 'getStatus', {}, { origin, 'sec-fetch-site': 'cross-site' })).status, 403, 'a cross-site fetch is refused')
  t.equal((await request(web.port, '/api/session', { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: JSON.stringify({ token: tokenOf(web) }) })).status, 403, 'another site cannot trade a token either')
  t.equal((await request(web.port, '/remote/alice%40example.com/a.png', { headers: { cookie, 'sec-fetch-site': 'cross-site' } })).status, 403, 'nor embed remote files')
  t.equal((await callBridge(web, cookie, 'getStatus', {}, { origin })).status, 200, 'the same origin is fine')
})

t.test('bridge calls over HTTP: method, size, type and schema checks; a round trip against a real runtime', async (t) => {
  const tracker = await startTestTracker(t)
  const base = t.testdir()
  const runtime = await createPeerRuntime({ profileDir: join(base, 'profile'), timing: { backoffBaseMs: 50, backoffMaxMs: 400 } })
  t.teardown(() => runtime.stop())
  const web = await startTestWebUi(t, { runtime })
  const cookie = await login(web)

  t.equal((await request(web.port, '/api/bridge/getStatus', { headers: { cookie } })).status, 405, 'GET is not a bridge call')
  const unknown = await callBridge(web, cookie, 'doesNotExist')
  t.equal(unknown.status, 404, 'an unknown method is 404')
  t.match(unknown.json, { error: 'not_found' }, 'with a JSON error')
  const notJson = await request(web.port, '/api/bridge/getStatus', { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{oops' })
  t.match([notJson.status, notJson.json], [400, { error: 'invalid_json' }], 'a body that is not JSON is 400 invalid_json')
  const textPlain = await request(web.port, '/api/bridge/getStatus', { method: 'POST', headers: { cookie, 'content-type': 'text/plain' }, body: '{}' })
  t.match([textPlain.status, textPlain.json], [415, { error: 'unsupported_media_type' }], 'a non-JSON type is 415')
  const big = await callBridge(web, cookie, 'addFriend', { email: 'a@example.com', nickname: 'x'.repeat(BRIDGE_MAX_BODY_BYTES) })
  t.match([big.status, big.json], [413, { error: 'payload_too_large' }], `a body over ${BRIDGE_MAX_BODY_BYTES} bytes is 413`)
  const invalid = await callBridge(web, cookie, 'listRemoteFiles', { email: 'alice@example.com', path: '../etc' })
  t.match([invalid.status, invalid.json], [400, { error: 'validation_failed', field: 'path' }], 'an argument against the schema is 400 validation_failed naming the field')
  const extra = await callBridge(web, cookie, 'getStatus', { sneaky: true })
  t.equal(extra.status, 400, 'unknown fields are refused')
  const empty = await request(web.port, '/api/bridge/getInfo', { method: 'POST', headers: { cookie, 'content-type': 'application/json' } })
  t.match([empty.status, empty.json], [200, { mode: 'web', canChooseFolder: false, canReveal: false }], 'an empty body counts as {}; web mode says what it cannot do')

  t.match((await callBridge(web, cookie, 'getStatus')).json, { registration: 'unconfigured', email: null }, 'before setup the status says so')
  t.match(await callBridge(web, cookie, 'listPeers'), { status: 409, json: { error: 'not_configured' } }, 'peers before setup: 409 not_configured')
  t.match(await callBridge(web, cookie, 'chooseShareFolder'), { status: 501, json: { error: 'unsupported', message: /Type the full path/ } }, 'no folder picker in a browser: 501 with what to do instead')

  const events = await openEvents(web, cookie)
  t.teardown(() => events.close())
  t.equal(events.status, 200, 'the event stream opens with the cookie')
  t.match(events.headers['content-type'], /^text\/event-stream/, 'as server-sent events')
  t.equal(events.headers['cache-control'], 'no-store', 'never cached')
  await events.next((e) => (e as BridgeEvent).type === 'status')
  t.pass('the stream starts with the current status')

  const share = join(base, 'share')
  await mkdir(share)
  const settings = { email: 'dora@example.com', shareRoot: share, trackerUrl: tracker.url, trackerFingerprint: tracker.fingerprint, bindAll: false, access: 'open' }
  const saved = await callBridge(web, cookie, 'setSettings', settings)
  t.equal(saved.status, 200, 'setSettings over HTTP succeeds')
  t.match(saved.json, { settings, status: { registration: 'registered', broadcasting: true, email: 'dora@example.com' } }, 'the peer started and registered with the real tracker')
  await events.next((e) => (e as BridgeEvent).type === 'settings')
  t.pass('the event stream delivered the settings event')
  await events.next((e) => (e as BridgeEvent).type === 'status' && (e as Extract<BridgeEvent, { type: 'status' }>).status.registration === 'registered')
  t.pass('and the status event of the registration')
  const peers = await callBridge(web, cookie, 'listPeers', { refresh: true })
  t.match(peers, { status: 200, json: { peers: [] } }, 'the tracker lists nobody else (and never myself)')
  const badFolder = await callBridge(web, cookie, 'setSettings', { ...settings, shareRoot: join(base, 'nope') })
  t.match([badFolder.status, badFolder.json], [400, { error: 'validation_failed', field: 'shareRoot' }], 'a missing share folder is 400 naming the field')

  // The registry channels come with the channel table: validated, answered and evented like the others.
  t.match(await callBridge(web, cookie, 'searchFiles', { name: 'x' }), { status: 400, json: { error: 'validation_failed' } }, 'searchFiles: a one-character name is 400')
  t.match(await callBridge(web, cookie, 'searchFiles', { name: 'plan', sha256: 'ab'.repeat(32) }), { status: 400 }, 'searchFiles: a name and a hash at once is 400')
  t.match(await callBridge(web, cookie, 'searchFiles', { name: 'plan' }), { status: 200, json: { results: [] } }, 'searchFiles answers from the real tracker (nothing published yet)')
  t.match(await callBridge(web, cookie, 'getPublishing'), { status: 200, json: { enabled: false, state: 'off' } }, 'getPublishing: off')
  t.match(await callBridge(web, cookie, 'setPublishing', { enabled: 'yes' }), { status: 400, json: { error: 'validation_failed' } }, 'setPublishing checks its argument')
  t.match(await callBridge(web, cookie, 'setPublishing', { enabled: true }), { status: 200, json: { enabled: true } }, 'setPublishing turns it on')
  await events.next((e) => (e as BridgeEvent).type === 'publishing')
  t.pass('publishing events reach the browser over SSE')

  const closing = web.close()
  await events.closed
  await closing
  t.pass('closing the server ends the event stream')
  await t.rejects(request(web.port, '/'), { code: 'ECONNREFUSED' }, 'and nothing listens any more')
})

t.test('/remote proxies a peer file with Range passed through', async (t) => {
  const tracker = await startTestTracker(t)
  const base = t.testdir()
  const bytes = patternBytes(200_000, 3)
  const alice = await makePeer(t, base, tracker, 'alice@example.com', { files: { 'media/clip.bin': bytes, 'page.html': '<script>alert(1)</script>' } })
  const bob = await makePeer(t, base, tracker, 'bob@example.com')
  await alice.runtime.start({ requireTracker: true })
  await bob.runtime.start({ requireTracker: true })
  const seen: RemoteRequestInfo[] = []
  const web = await startTestWebUi(t, { runtime: bob.runtime, onRemoteRequest: (info) => seen.push(info) })
  const cookie = await login(web)
  const file = '/remote/alice%40example.com/media/clip.bin'

  const whole = await request(web.port, file, { headers: { cookie } })
  t.equal(whole.status, 200, 'without Range: 200')
  t.ok(whole.body.equals(bytes), 'the whole file, byte for byte')
  t.equal(whole.headers['accept-ranges'], 'bytes', 'ranges are advertised (media elements seek with them)')
  t.equal(whole.headers['content-length'], String(bytes.length), 'with its length')
  t.match(whole.headers['content-security-policy'], /^sandbox/, 'remote bytes are sandboxed')
  t.equal(whole.headers['x-content-type-options'], 'nosniff', 'and never sniffed')

  const part = await request(web.port, file, { headers: { cookie, range: 'bytes=1000-1999' } })
  t.equal(part.status, 206, 'a Range gives 206 from the peer')
  t.equal(part.headers['content-range'], `bytes 1000-1999/${bytes.length}`, 'with the content range')
  t.ok(part.body.equals(bytes.subarray(1000, 2000)), 'and exactly those bytes')
  const tail = await request(web.port, file, { headers: { cookie, range: 'bytes=-100' } })
  t.ok(tail.status === 206 && tail.body.equals(bytes.subarray(bytes.length - 100)), 'a suffix range works too')
  const beyond = await request(web.port, file, { headers: { cookie, range: `bytes=${bytes.length + 10}-` } })
  t.equal(beyond.status, 416, 'an unsatisfiable range is 416, forwarded')
  t.equal(beyond.headers['content-range'], `bytes */${bytes.length}`, 'with the size')
  const head = await request(web.port, file, { method: 'HEAD', headers: { cookie } })
  t.equal(head.status, 200, 'HEAD works')
  t.equal(head.body.length, 0, 'without a body')
  const etag = whole.headers.etag
  if (etag) {
    const same = await request(web.port, file, { headers: { cookie, 'if-none-match': etag } })
    t.equal(same.status, 304, 'a conditional request is passed on (304)')
  }
  t.same(seen.filter((s) => s.range).map((s) => [s.range, s.status]), [['bytes=1000-1999', 206], ['bytes=-100', 206], [`bytes=${bytes.length + 10}-`, 416]], 'the proxy saw each Range and the answer')

  const html = await request(web.port, '/remote/alice%40example.com/page.html', { headers: { cookie } })
  t.equal(html.status, 200, 'an HTML file of a peer is served…')
  t.match(html.headers['content-security-policy'], /sandbox/, '…sandboxed, so its script cannot run with our origin')

  t.match(await request(web.port, '/remote/alice%40example.com/missing.bin', { headers: { cookie } }), { status: 404 }, 'a missing file is 404')
  t.match(await request(web.port, '/remote/alice%40example.com/', { headers: { cookie } }), { status: 404 }, 'the root is not a file')
  t.match(await request(web.port, '/remote/alice%40example.com/%2e%2e/x', { headers: { cookie } }), { status: 400 }, 'an encoded .. is refused')
  t.match(await request(web.port, '/remote/not-an-email/x', { headers: { cookie } }), { status: 400 }, 'a malformed address is refused')
  t.match(await request(web.port, file, { method: 'POST', headers: { cookie } }), { status: 405 }, 'only GET and HEAD')
  const nobody = await request(web.port, '/remote/nobody%40example.com/x.bin', { headers: { cookie } })
  t.match([nobody.status, nobody.json], [404, { error: 'not_online' }], 'a peer who is not online: 404 not_online')

  const round = await callBridge(web, cookie, 'listRemoteFiles', { email: 'alice@example.com', path: 'media' })
  t.match(round, { status: 200, json: { path: 'media', entries: [{ name: 'clip.bin', size: bytes.length }] } }, "a bridge call visits alice's house through bob's runtime")
})

t.test('resolveUiDir finds apps/ui/dist from the sources, or takes FLASHBACK_UI_DIR', async (t) => {
  const base = t.testdir({ apps: { ui: { dist: { 'index.html': '<!doctype html>' } }, cli: { dist: {} } } })
  t.equal(resolveUiDir({}, join(base, 'apps', 'cli', 'dist')), join(base, 'apps', 'ui', 'dist'), 'from the bundle folder it walks up to apps/ui/dist')
  t.equal(resolveUiDir({ FLASHBACK_UI_DIR: '/opt/ui' }, base), '/opt/ui', 'the environment variable wins')
})
