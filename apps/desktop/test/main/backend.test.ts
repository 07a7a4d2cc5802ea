/**
 * The shell on the real runtime: a real tracker and a real peer (alice) on loopback, and the desktop app (bob)
 * started by startDesktop with Electron faked but `createRuntimeBackend` real. Everything goes through the same
 * IPC handlers and protocol handler the window would use.
 */
import t from 'tap'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { EventEmitter } from 'node:events'
import { createPeerRuntime } from '@flashback/peer'
import { startTracker } from '@flashback/tracker'
import { electronRemoteFileUrl, toBridgeError, type BridgeEvent } from '@flashback/protocol'
import { startDesktop } from '../../src/main/app.ts'
import { createRuntimeBackend } from '../../src/main/backend.ts'
import { APP_ENTRY_URL } from '../../src/main/security.ts'
import {
  FakeApp,
  FakeBrowserWindow,
  FakeIpcMain,
  FakeMenu,
  FakeProtocol,
  FakeSession,
  FakeTray,
  fakeDialog,
  fakeShell,
  invokeEvent,
  recordingLogger,
} from '../fakes.ts'

const VIDEO = Buffer.alloc(256 * 1024)
for (let i = 0; i < VIDEO.length; i++) VIDEO[i] = (i * 31 + (i >> 8)) & 0xff

t.test('bob visits alice through the desktop shell on the real runtime', async (t) => {
  const tracker = await startTracker({ logger: false, rateLimitPerMin: 0 })
  t.teardown(() => tracker.close())
  const base = t.testdir({
    'alice-share': { 'index.md': '# Alice\n\nSee [the plan](notes/plan.md).\n', notes: { 'plan.md': '# Plan\n' }, films: {} },
    'bob-share': { 'hello.txt': 'hi' },
    bob: {},
  })
  await fs.writeFile(path.join(base, 'alice-share', 'films', 'clip.mp4'), VIDEO)

  const alice = await createPeerRuntime({ profileDir: path.join(base, 'alice-profile'), timing: { friendCheckIntervalMs: 60_000 } })
  await alice.updateSettings({
    email: 'alice@example.com',
    shareRoot: path.join(base, 'alice-share'),
    trackerUrl: tracker.url,
    trackerFingerprint: tracker.fingerprint,
    access: 'open',
  })
  t.teardown(() => alice.stop())
  const aliceStatus = await alice.start({ requireTracker: true })
  t.equal(aliceStatus.tracker.state, 'broadcasting', 'alice broadcasts')

  // Bob: the desktop app, with Electron faked and the runtime real.
  const userData = path.join(base, 'bob')
  const app = new FakeApp(userData, path.join(base, 'bob-downloads'))
  const ipcMain = new FakeIpcMain()
  const protocol = new FakeProtocol()
  FakeBrowserWindow.instances = []
  const log = recordingLogger()
  const controller = startDesktop({
    electron: {
      app: app as never,
      BrowserWindow: FakeBrowserWindow as never,
      ipcMain: ipcMain as never,
      protocol: protocol as never,
      session: { defaultSession: new FakeSession() as never },
      shell: fakeShell() as never,
      dialog: fakeDialog() as never,
      Tray: FakeTray as never,
      Menu: FakeMenu as never,
    },
    createBackend: createRuntimeBackend,
    paths: { preload: '/p.cjs', uiRoot: '/nowhere', icon: '/i.png' },
    log,
    devTools: false,
    signals: new EventEmitter() as never,
  })!
  t.teardown(async () => {
    if (!app.quitted) {
      app.quit()
      await controller.stopped()
    }
  })
  app.becomeReady()
  await controller.ready
  const win = FakeBrowserWindow.instances[0]!
  await win.loadURL(APP_ENTRY_URL)
  const call = (name: string, arg?: unknown) => ipcMain.handlers.get(`flashback:${name}`)!(invokeEvent(APP_ENTRY_URL), arg)

  const before = (await call('getSettings')) as { settings: unknown }
  t.equal(before.settings, null, 'a fresh profile has no settings (first run)')
  const info = (await call('getInfo')) as { mode: string; downloadsFolder: string }
  t.equal(info.mode, 'desktop', 'the runtime bridge runs in desktop mode')
  t.equal(info.downloadsFolder, path.join(base, 'bob-downloads'), "downloads go to the system's Downloads folder")

  const saved = (await call('setSettings', {
    email: 'bob@example.com',
    shareRoot: path.join(base, 'bob-share'),
    trackerUrl: tracker.url,
    trackerFingerprint: tracker.fingerprint,
    bindAll: false,
    access: 'open',
  })) as { status: { registration: string; broadcasting: boolean } }
  t.equal(saved.status.registration, 'registered', 'setSettings through IPC starts the peer and registers it')
  t.equal(saved.status.broadcasting, true, 'bob broadcasts')
  t.ok(
    win.webContents.sent.some((m) => m.channel === 'flashback:event' && (m.payload as BridgeEvent).type === 'status'),
    'status events reach the window',
  )

  const peers = (await call('listPeers', { refresh: true })) as { peers: Array<{ email: string; status: string }> }
  t.same(peers.peers.map((p) => [p.email, p.status]), [['alice@example.com', 'online']], 'bob sees alice online (and not himself)')

  const root = (await call('listRemoteFiles', { email: 'alice@example.com', path: '' })) as { entries: Array<{ name: string }> }
  t.same(root.entries.map((e) => e.name).sort(), ['films', 'index.md', 'notes'], "alice's root folder over mutual TLS")
  const plan = (await call('readRemoteText', { email: 'alice@example.com', path: 'notes/plan.md' })) as { text: string }
  t.equal(plan.text, '# Plan\n', 'a text file reads through')

  const refused = await call('listRemoteFiles', { email: 'alice@example.com', path: '../../etc' }).catch((e: unknown) => e)
  t.equal(toBridgeError(refused).code, 'validation_failed', 'a traversal path is refused before the runtime')

  // <video> seeking: flashback:// with a Range, through the runtime's raw GET to alice's server.
  const remote = protocol.handlers.get('flashback')!
  const url = electronRemoteFileUrl('alice@example.com', 'films/clip.mp4')
  const partial = await remote(new Request(url, { headers: { range: 'bytes=1000-1999' } }))
  t.equal(partial.status, 206, 'a Range request is answered 206 by alice, through the proxy')
  t.equal(partial.headers.get('content-range'), `bytes 1000-1999/${VIDEO.length}`, "alice's Content-Range comes back")
  t.equal(partial.headers.get('accept-ranges'), 'bytes', 'Accept-Ranges comes back')
  t.equal(partial.headers.get('content-type'), 'video/mp4', 'the type comes back')
  t.equal(partial.headers.get('x-content-type-options'), 'nosniff', 'nosniff is added')
  t.ok(Buffer.from(await partial.arrayBuffer()).equals(VIDEO.subarray(1000, 2000)), 'exactly those bytes')
  const tail = await remote(new Request(url, { headers: { range: 'bytes=-10' } }))
  t.ok(Buffer.from(await tail.arrayBuffer()).equals(VIDEO.subarray(VIDEO.length - 10)), 'a suffix range works')
  const beyond = await remote(new Request(url, { headers: { range: `bytes=${VIDEO.length + 10}-` } }))
  t.equal(beyond.status, 416, 'a range past the end is 416 from alice')
  t.equal(beyond.headers.get('content-range'), `bytes */${VIDEO.length}`, 'with the size')
  await beyond.arrayBuffer()
  const whole = await remote(new Request(url))
  t.equal(whole.status, 200, 'no Range: 200')
  t.ok(Buffer.from(await whole.arrayBuffer()).equals(VIDEO), 'every byte')
  const missing = await remote(new Request(electronRemoteFileUrl('alice@example.com', 'nope.mp4')))
  t.equal(missing.status, 404, "alice's 404 is forwarded")
  await missing.arrayBuffer()
  const stranger = await remote(new Request(electronRemoteFileUrl('carol@example.com', 'a.mp4')))
  t.ok(stranger.status >= 500, 'a peer who is not online is an upstream error')
  await stranger.arrayBuffer()

  // Quitting stops bob's runtime, which says broadcast/offline: alice no longer finds him.
  const othersOnline = async () => (await alice.onlinePeers()).map((p) => p.email).filter((e) => e !== 'alice@example.com')
  t.same(await othersOnline(), ['bob@example.com'], 'alice sees bob online before he quits')
  app.quit()
  await controller.stopped()
  t.ok(app.quitted, 'the app quit after stopping the peer')
  t.same(await othersOnline(), [], 'after bob quits the tracker no longer lists him: he sent broadcast/offline')
})
