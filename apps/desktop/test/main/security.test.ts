import t from 'tap'
import {
  APP_CONTENT_SECURITY_POLICY,
  APP_ENTRY_URL,
  BLOCKED_REQUEST_URLS,
  PRIVILEGED_SCHEMES,
  REMOTE_FILE_CONTENT_SECURITY_POLICY,
  hardenApp,
  hardenSession,
  hardenWebContents,
  isAppUrl,
  isExternalWebUrl,
  openExternalSafely,
  permissionAllowed,
  registerPrivilegedSchemes,
  secureWebPreferences,
} from '../../src/main/security.ts'
import { FakeApp, FakeProtocol, FakeSession, FakeWebContents, electronEvent, fakeShell, recordingLogger } from '../fakes.ts'

const directives = (csp: string) => new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v]))

t.test('the renderer webPreferences are locked down, field by field', async (t) => {
  const prefs = secureWebPreferences({ preload: '/app/dist/preload/index.cjs', devTools: false })
  t.equal(prefs.contextIsolation, true, 'contextIsolation is on')
  t.equal(prefs.sandbox, true, 'the renderer is sandboxed')
  t.equal(prefs.nodeIntegration, false, 'no Node in the renderer')
  t.equal(prefs.nodeIntegrationInWorker, false, 'no Node in workers')
  t.equal(prefs.nodeIntegrationInSubFrames, false, 'no Node in sub-frames')
  t.equal(prefs.webSecurity, true, 'web security (same-origin policy) is on')
  t.equal(prefs.allowRunningInsecureContent, false, 'no mixed content')
  t.equal(prefs.webviewTag, false, 'no <webview>')
  t.equal(prefs.experimentalFeatures, false, 'no experimental web features')
  t.equal(prefs.navigateOnDragDrop, false, 'dropping a file does not navigate')
  t.equal(prefs.safeDialogs, true, 'dialog spam is stoppable')
  t.equal(prefs.devTools, false, 'no DevTools in production')
  t.equal(prefs.preload, '/app/dist/preload/index.cjs', 'the preload is the bundled CommonJS file')
  t.notOk('enableBlinkFeatures' in prefs, 'no Blink feature is switched on')
  t.equal(secureWebPreferences({ preload: 'p', devTools: true }).devTools, true, 'DevTools only when asked (development)')
})

t.test("the app's Content-Security-Policy is strict", async (t) => {
  const csp = directives(APP_CONTENT_SECURITY_POLICY)
  t.same(csp.get('default-src'), ["'none'"], 'everything is denied unless listed')
  t.same(csp.get('script-src'), ["'self'"], 'scripts only from the app itself: no inline, no eval')
  t.same(csp.get('style-src'), ["'self'"], 'styles only from the app itself')
  t.same(csp.get('object-src'), ["'none'"], 'no plugins')
  t.same(csp.get('frame-src'), ["'none'"], 'no frames')
  t.same(csp.get('base-uri'), ["'none'"], 'no <base> hijacking')
  t.same(csp.get('form-action'), ["'none'"], 'no form posts')
  t.same(csp.get('frame-ancestors'), ["'none'"], 'the app cannot be framed')
  t.ok(csp.get('media-src')?.includes('flashback:'), "peers' video and audio come through flashback:")
  t.ok(csp.get('img-src')?.includes('flashback:'), "peers' pictures come through flashback:")
  t.notMatch(APP_CONTENT_SECURITY_POLICY, /unsafe-(eval|inline)|https?:|\*/, 'no unsafe-*, no web origins, no wildcard')

  const remote = directives(REMOTE_FILE_CONTENT_SECURITY_POLICY)
  t.ok(remote.has('sandbox'), "a peer's file is sandboxed if ever rendered as a document")
  t.same(remote.get('default-src'), ["'none'"], "a peer's file may load nothing")
  t.notOk(remote.has('script-src'), "a peer's file may run no script")
})

t.test('the custom schemes are privileged as needed, and no more', async (t) => {
  const protocol = new FakeProtocol()
  registerPrivilegedSchemes(protocol)
  const byScheme = new Map(protocol.privileged.map((s) => [s.scheme, s.privileges ?? {}]))
  t.same([...byScheme.keys()].sort(), ['app', 'flashback'], 'exactly app: and flashback: are registered')
  const app = byScheme.get('app')!
  t.ok(app['standard'] && app['secure'], 'app: is standard and secure (its own origin, a secure context)')
  const remote = byScheme.get('flashback')!
  t.ok(remote['stream'], 'flashback: streams (video plays as it arrives)')
  t.ok(remote['supportFetchAPI'], 'flashback: is fetch-enabled')
  t.ok(remote['secure'] && remote['standard'], 'flashback: is standard and secure')
  for (const s of PRIVILEGED_SCHEMES) {
    t.equal(s.privileges.bypassCSP, false, `${s.scheme}: does not bypass the CSP`)
    t.equal(s.privileges.allowServiceWorkers, false, `${s.scheme}: no service workers`)
  }
})

t.test('isAppUrl and isExternalWebUrl', async (t) => {
  const app: Array<[unknown, boolean]> = [
    [APP_ENTRY_URL, true],
    ['app://flashback/assets/index.js', true],
    ['app://flashback', true],
    ['app://flashback.evil/', false],
    ['app://evil/flashback', false],
    ['https://flashback/', false],
    ['file:///app/flashback/index.html', false],
    ['not a url', false],
    [undefined, false],
  ]
  for (const [url, expected] of app) t.equal(isAppUrl(url), expected, `isAppUrl(${String(url)}) is ${expected}`)
  const external: Array<[unknown, boolean]> = [
    ['https://example.org/a?b#c', true],
    ['http://example.org', true],
    ['javascript:alert(1)', false],
    ['file:///etc/passwd', false],
    ['app://flashback/', false],
    ['flashback://peer/a%40b.co/x', false],
    ['mailto:ada@example.com', false],
    ['smb://server/share', false],
    ['https://', false],
    [`https://example.org/${'a'.repeat(5000)}`, false],
    [42, false],
  ]
  for (const [url, expected] of external) t.equal(isExternalWebUrl(url), expected, `isExternalWebUrl(${String(url).slice(0, 40)}) is ${expected}`)
  const shell = fakeShell()
  t.equal(await openExternalSafely(shell.openExternal, 'javascript:alert(1)'), false, 'a javascript: URL is not opened')
  t.equal(await openExternalSafely(shell.openExternal, 'https://example.org/'), true, 'an https URL is opened')
  t.same(shell.opened, ['https://example.org/'], 'only the https URL reached the system browser')
})

t.test('navigation, new windows and webviews are refused', async (t) => {
  const contents = new FakeWebContents()
  const shell = fakeShell()
  const log = recordingLogger()
  hardenWebContents(contents as never, { openExternal: shell.openExternal, log })

  for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
    for (const url of ['https://evil.example/', 'app://flashback/index.html', 'file:///etc/passwd']) {
      const e = electronEvent({ url })
      contents.emit(event, e)
      t.ok(e.defaultPrevented, `${event} to ${url} is prevented`)
    }
  }
  const webview = electronEvent()
  contents.emit('will-attach-webview', webview, {}, { src: 'https://evil.example/' })
  t.ok(webview.defaultPrevented, 'attaching a <webview> is prevented')
  t.same(shell.opened, [], 'navigation never opens anything, not even in the system browser')

  const open = contents.windowOpenHandler!
  t.ok(open, 'a window-open handler is installed')
  for (const url of ['https://example.org/page', 'http://example.org/']) {
    t.same(open({ url }), { action: 'deny' }, `window.open(${url}) makes no Electron window`)
  }
  for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'app://flashback/index.html', 'flashback://peer/a%40b.co/x', 'about:blank']) {
    t.same(open({ url }), { action: 'deny' }, `window.open(${url}) is denied`)
  }
  await new Promise((r) => setImmediate(r))
  t.same(shell.opened, ['https://example.org/page', 'http://example.org/'], 'only the http(s) links went to the system browser')
  t.ok(log.entries.some((e) => e.msg === 'blocked navigation'), 'blocked navigations are logged')
})

t.test('permission requests and checks are denied (fullscreen from the app page excepted)', async (t) => {
  const session = new FakeSession()
  hardenSession(session as never, recordingLogger())
  const request = (permission: string, requestingUrl: string) =>
    new Promise<boolean>((resolve) => session.requestHandler!({ getURL: () => requestingUrl }, permission, resolve, { requestingUrl }))
  for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'clipboard-sanitized-write', 'midiSysex', 'openExternal', 'pointerLock', 'display-capture', 'unknown']) {
    t.equal(await request(permission, APP_ENTRY_URL), false, `${permission} is denied even to the app page`)
    t.equal(session.checkHandler!(null, permission, 'app://flashback', {}), false, `the check for ${permission} says no`)
  }
  t.equal(await request('fullscreen', APP_ENTRY_URL), true, "the app page may show a video fullscreen")
  t.equal(await request('fullscreen', 'https://evil.example/'), false, 'another origin may not go fullscreen')
  t.equal(session.checkHandler!(null, 'fullscreen', 'https://evil.example', {}), false, "another origin's fullscreen check says no")
  t.equal(permissionAllowed('fullscreen', 'app://flashback/index.html'), true, 'permissionAllowed agrees for the app page')
  t.equal(session.deviceHandler!({}), false, 'no USB/HID/serial device access')

  const streams = await new Promise<Record<string, unknown>>((resolve) => session.displayMediaHandler!({}, resolve))
  t.same(streams, {}, 'screen capture gets no source')

  t.same(session.beforeRequest!.filter.urls, BLOCKED_REQUEST_URLS, 'renderer requests to the network and file: are filtered')
  for (const scheme of ['http', 'https', 'ws', 'wss', 'file']) {
    t.ok(BLOCKED_REQUEST_URLS.some((u) => u.startsWith(`${scheme}://`)), `${scheme}: is in the blocked list`)
  }
  const decision = await new Promise<{ cancel?: boolean }>((resolve) => session.beforeRequest!.listener({ url: 'https://evil.example/x' }, resolve))
  t.same(decision, { cancel: true }, 'a matching request is cancelled')

  const download = electronEvent()
  session.emit('will-download', download)
  t.ok(download.defaultPrevented, 'a renderer-started download is prevented')
})

t.test('hardenApp sandboxes every renderer and hardens every new webContents', async (t) => {
  const app = new FakeApp('/tmp/unused')
  const shell = fakeShell()
  hardenApp(app as never, { openExternal: shell.openExternal })
  t.ok(app.sandboxEnabled, 'app.enableSandbox() was called')
  const contents = new FakeWebContents()
  app.emit('web-contents-created', electronEvent(), contents)
  t.ok(contents.windowOpenHandler, 'a webContents created later gets the window-open handler')
  const e = electronEvent({ url: 'https://evil.example/' })
  contents.emit('will-navigate', e)
  t.ok(e.defaultPrevented, 'and its navigations are blocked')
})
