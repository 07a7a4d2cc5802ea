import t, { type Test } from 'tap'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { BRIDGE_IPC_EVENT, bridgeChannelNames, bridgeIpcChannel, toBridgeError, type BridgeEvent } from '@flashback/protocol'
import { startDesktop, type DesktopOptions } from '../../src/main/app.ts'
import { APP_ENTRY_URL } from '../../src/main/security.ts'
import { SHELL_SETTINGS_FILE } from '../../src/main/shell-settings.ts'
import { KEEP_RUNNING_LABEL } from '../../src/main/tray.ts'
import {
  FakeApp,
  FakeBrowserWindow,
  FakeIpcMain,
  FakeMenu,
  FakeProtocol,
  FakeSession,
  FakeTray,
  electronEvent,
  fakeBackend,
  fakeDialog,
  fakeShell,
  invokeEvent,
  recordingLogger,
  sampleStatus,
  type FakeBackend,
} from '../fakes.ts'
import { EventEmitter } from 'node:events'

interface Harness {
  app: FakeApp
  ipcMain: FakeIpcMain
  protocol: FakeProtocol
  session: FakeSession
  shell: ReturnType<typeof fakeShell>
  dialog: ReturnType<typeof fakeDialog>
  backend: FakeBackend
  signals: EventEmitter
  log: ReturnType<typeof recordingLogger>
  controller: ReturnType<typeof startDesktop>
  userData: string
}

async function harness(t: Test, options: { lock?: boolean; settings?: object; backendFails?: boolean; tray?: boolean; stopTimeoutMs?: number } = {}): Promise<Harness> {
  const userData = t.testdir({})
  if (options.settings) await fs.writeFile(path.join(userData, SHELL_SETTINGS_FILE), JSON.stringify(options.settings))
  FakeBrowserWindow.instances = []
  FakeTray.instances = []
  const app = new FakeApp(userData)
  app.lock = options.lock ?? true
  const ipcMain = new FakeIpcMain()
  const protocol = new FakeProtocol()
  const session = new FakeSession()
  const shell = fakeShell()
  const dialog = fakeDialog()
  const backend = fakeBackend()
  const signals = new EventEmitter()
  const log = recordingLogger()
  const TrayClass =
    options.tray === false
      ? class {
          constructor() {
            throw new Error('no tray here')
          }
        }
      : FakeTray
  const desktopOptions: DesktopOptions = {
    electron: {
      app: app as never,
      BrowserWindow: FakeBrowserWindow as never,
      ipcMain: ipcMain as never,
      protocol: protocol as never,
      session: { defaultSession: session as never },
      shell: shell as never,
      dialog: dialog as never,
      Tray: TrayClass as never,
      Menu: FakeMenu as never,
      nativeImage: {
        createFromPath: (p: string) => ({ resize: (size: { width: number }) => ({ path: p, size: size.width }) }),
      } as never,
    },
    createBackend: async (context) => {
      if (options.backendFails) throw new Error('the profile folder is unreadable')
      t.equal(context.profileDir, path.join(userData, 'profile'), 'the runtime profile lives in userData/profile')
      return backend
    },
    paths: { preload: '/app/dist/preload/index.cjs', uiRoot: '/app/ui', icon: '/app/icon.png' },
    log,
    devTools: false,
    platform: 'linux',
    signals: signals as never,
    stopTimeoutMs: options.stopTimeoutMs ?? 60_000,
    fileExists: async () => true,
  }
  const controller = startDesktop(desktopOptions)
  return { app, ipcMain, protocol, session, shell, dialog, backend, signals, log, controller, userData }
}

async function started(t: Test, options: Parameters<typeof harness>[1] = {}): Promise<Harness> {
  const h = await harness(t, options)
  h.app.becomeReady()
  await h.controller!.ready
  return h
}

/** Lets promise callbacks run (the shell's quit sequence is a few awaits long). */
const settle = () => new Promise((resolve) => setImmediate(resolve))

/** Waits (without a deadline that matters) until `check` passes: disk writes take their time on a busy machine. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

t.test('a second launch hands over to the first instance and quits', async (t) => {
  const h = await harness(t, { lock: false })
  t.equal(h.controller, null, 'startDesktop gives up')
  t.equal(h.app.quitCalls, 1, 'the second instance quits')
  t.equal(h.protocol.privileged.length, 0, 'it registers nothing')
  t.equal(FakeBrowserWindow.instances.length, 0, 'it opens no window')
  t.equal(h.backend.started, 0, 'it starts no second peer')
})

t.test('the first instance focuses its window when launched again', async (t) => {
  const h = await started(t)
  const win = FakeBrowserWindow.instances[0]!
  win.minimized = true
  h.app.emit('second-instance', electronEvent(), ['flashback'], '/')
  t.equal(FakeBrowserWindow.instances.length, 1, 'no second window')
  t.equal(win.restored, 1, 'the minimized window is restored')
  t.ok(win.focused >= 1, 'and focused')
  win.close()
  h.app.emit('second-instance', electronEvent(), ['flashback'], '/')
  t.equal(FakeBrowserWindow.instances.length, 2, 'a closed window is opened again')
})

t.test('startup: hardening before ready, then protocols, IPC, window and peer', async (t) => {
  const h = await harness(t)
  t.same(h.protocol.privileged.map((s) => s.scheme).sort(), ['app', 'flashback'], 'schemes are privileged before ready')
  t.ok(h.app.sandboxEnabled, 'every renderer is sandboxed before ready')
  t.equal(h.app.listenerCount('web-contents-created'), 1, 'every new webContents will be hardened')
  t.equal(FakeBrowserWindow.instances.length, 0, 'no window before ready')

  h.app.becomeReady()
  await h.controller!.ready
  t.same([...h.protocol.handlers.keys()].sort(), ['app', 'flashback'], 'both protocol handlers are registered')
  t.same([...h.ipcMain.handlers.keys()].sort(), bridgeChannelNames.map(bridgeIpcChannel).sort(), 'one IPC handler per bridge channel')
  t.ok(h.session.requestHandler && h.session.checkHandler, 'the session denies permissions')
  t.equal(FakeBrowserWindow.instances.length, 1, 'one window')
  const win = FakeBrowserWindow.instances[0]!
  const prefs = win.options['webPreferences'] as Record<string, unknown>
  t.same(
    { contextIsolation: prefs['contextIsolation'], sandbox: prefs['sandbox'], nodeIntegration: prefs['nodeIntegration'], webSecurity: prefs['webSecurity'], webviewTag: prefs['webviewTag'] },
    { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false },
    'the window is created with the secure webPreferences',
  )
  t.equal(prefs['preload'], '/app/dist/preload/index.cjs', 'with the bundled preload')
  t.equal(win.webContents.url, APP_ENTRY_URL, 'it loads the UI from app://flashback/')
  t.equal(win.visible, false, 'hidden until its first paint')
  win.emit('ready-to-show')
  t.equal(win.visible, true, 'shown when ready')
  t.equal(h.backend.started, 1, 'the peer is started')
  t.equal(FakeTray.instances.length, 1, 'a tray icon is shown')
  t.same(FakeTray.instances[0]!.image, { path: '/app/icon.png', size: 22 }, 'the icon scaled down to tray size')
  const appMenu = FakeMenu.applicationMenu!.template
  t.notOk(JSON.stringify(appMenu).includes('toggleDevTools'), 'the production menu has no DevTools item')
})

t.test('the bridge works end to end through the registered handlers', async (t) => {
  const h = await started(t)
  const getInfo = h.ipcMain.handlers.get('flashback:getInfo')!
  const info = (await getInfo(invokeEvent(APP_ENTRY_URL))) as Record<string, unknown>
  t.equal(info['mode'], 'desktop', 'getInfo says desktop')
  t.equal(info['canChooseFolder'], true, 'with a native folder picker')
  t.equal(info['version'], '1.2.3', "with the app's version")
  const refused = await getInfo(invokeEvent('https://evil.example/')).catch((e: unknown) => e)
  t.equal(toBridgeError(refused).code, 'forbidden', 'a foreign frame is refused')

  h.dialog.answer = { canceled: false, filePaths: ['/home/ada/Shared'] }
  t.same(await h.ipcMain.handlers.get('flashback:chooseShareFolder')!(invokeEvent(APP_ENTRY_URL)), { path: '/home/ada/Shared' }, 'the folder picker answers')

  const win = FakeBrowserWindow.instances[0]!
  const event: BridgeEvent = { type: 'status', status: sampleStatus }
  h.backend.core.emit(event)
  t.same(win.webContents.sent, [{ channel: BRIDGE_IPC_EVENT, payload: event }], "the runtime's events reach the window")
  t.equal(FakeTray.instances[0]!.tooltip, 'Flashback: sharing', 'and the tray tooltip')
})

t.test('the registered protocols reach the runtime and the UI folder', async (t) => {
  const h = await started(t)
  const remote = h.protocol.handlers.get('flashback')!
  const res = await remote(new Request('flashback://peer/bob%40example.com/films/a.mp4', { headers: { range: 'bytes=0-' } }))
  t.equal(res.status, 200, "flashback:// answers with the runtime's fetch")
  t.same(
    h.backend.fetches.map((f) => ({ email: f.email, path: f.path, range: f.headers['range'] })),
    [{ email: 'bob@example.com', path: 'films/a.mp4', range: 'bytes=0-' }],
    "the backend's fetcher got the peer, the path and the Range",
  )
  const page = await h.protocol.handlers.get('app')!(new Request(APP_ENTRY_URL))
  t.equal(page.status, 503, 'app:// serves from paths.uiRoot (not built in this fake: the how-to-build page)')
})

t.test('closing the window quits and stops the peer, unless the user chose to keep sharing', async (t) => {
  t.test('default: quit', async (t) => {
    const h = await started(t)
    FakeBrowserWindow.instances[0]!.close()
    h.app.emit('window-all-closed')
    t.equal(h.app.quitCalls >= 1, true, 'closing the last window quits')
    await h.controller!.stopped()
    await settle()
    t.equal(h.backend.stopped, 1, 'the peer was stopped (it sends broadcast/offline)')
    t.ok(h.app.quitted, 'and the app then really quits')
  })
  t.test('keep running: the peer keeps sharing', async (t) => {
    const h = await started(t, { settings: { keepRunningInBackground: true } })
    FakeBrowserWindow.instances[0]!.close()
    h.app.emit('window-all-closed')
    t.equal(h.app.quitCalls, 0, 'closing the window does not quit')
    t.equal(h.backend.stopped, 0, 'the peer keeps running')
    h.app.emit('second-instance', electronEvent(), [], '/')
    t.equal(FakeBrowserWindow.instances.length, 2, 'launching again brings a window back')
  })
  t.test('keep running but no tray on this desktop: quit anyway', async (t) => {
    const h = await started(t, { settings: { keepRunningInBackground: true }, tray: false })
    h.app.emit('window-all-closed')
    t.ok(h.app.quitCalls >= 1, 'without a tray there is no way back, so the app quits')
    t.ok(h.log.entries.some((e) => e.msg === 'no tray icon on this desktop'), 'the missing tray is logged')
  })
})

t.test('quitting waits for the peer to stop, once', async (t) => {
  const h = await started(t)
  let release!: () => void
  h.backend.stopImpl = () => new Promise<void>((resolve) => (release = resolve))
  const first = electronEvent()
  h.app.emit('before-quit', first)
  t.ok(first.defaultPrevented, 'the first quit is held back while the peer stops')
  const second = electronEvent()
  h.app.emit('before-quit', second)
  t.ok(second.defaultPrevented, 'a second quit meanwhile is held back too')
  await settle()
  t.equal(h.backend.stopped, 1, 'stop is called once')
  t.notOk(h.app.quitted, 'the app has not quit yet')
  release()
  await h.controller!.stopped()
  await settle()
  t.ok(h.app.quitted, 'once the peer stopped, the app quits')
  t.equal(h.ipcMain.handlers.size, 0, 'the IPC handlers were removed')
  t.ok(FakeTray.instances[0]!.destroyed, 'the tray icon was removed')
  t.equal(h.backend.core.listeners.size, 0, 'no listener is left on the runtime')
})

t.test('quitting does not hang on a peer that cannot stop', async (t) => {
  const h = await started(t, { stopTimeoutMs: 1 })
  h.backend.stopImpl = () => new Promise<void>(() => {})
  h.app.quit()
  await h.controller!.stopped()
  await settle()
  t.ok(h.app.quitted, 'the app quits after the stop timeout')
  t.ok(h.log.entries.some((e) => e.msg?.includes('took too long')), 'and says why')

  const h2 = await started(t)
  h2.backend.stopImpl = async () => {
    throw new Error('tracker unreachable')
  }
  h2.app.quit()
  await h2.controller!.stopped()
  await settle()
  t.ok(h2.app.quitted, 'a failing stop does not prevent quitting')
})

t.test('SIGINT and SIGTERM quit cleanly (the tracker hears we left)', async (t) => {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    const h = await started(t)
    h.signals.emit(signal)
    await h.controller!.stopped()
    await settle()
    t.equal(h.backend.stopped, 1, `${signal}: the peer is stopped`)
    t.ok(h.app.quitted, `${signal}: the app quits`)
  }
})

t.test('the tray choice is persisted in userData', async (t) => {
  const h = await started(t)
  const tray = FakeTray.instances[0]!
  const item = tray.menu.find((i) => i.label === KEEP_RUNNING_LABEL)!
  t.equal(item.checked, false, 'keep sharing is off by default')
  item.click!({ checked: true })
  const file = path.join(h.userData, SHELL_SETTINGS_FILE)
  await until(() => fs.access(file).then(() => true, () => false))
  const saved = JSON.parse(await fs.readFile(file, 'utf8'))
  t.same(saved, { keepRunningInBackground: true }, 'the choice is written to desktop-settings.json')
  t.equal(tray.menu.find((i) => i.label === KEEP_RUNNING_LABEL)!.checked, true, 'the menu shows the new choice')
  FakeBrowserWindow.instances[0]!.close()
  h.app.emit('window-all-closed')
  t.equal(h.app.quitCalls, 0, 'and closing the window now keeps the peer running')
  tray.menu.find((i) => i.id === 'quit')!.click!({ checked: false })
  await h.controller!.stopped()
  await settle()
  t.equal(h.backend.stopped, 1, "the tray's Quit stops the peer")
  t.ok(h.app.quitted, 'and quits')
})

t.test('a backend that cannot start is reported on screen and the app quits', async (t) => {
  const h = await harness(t, { backendFails: true })
  h.app.becomeReady()
  await h.controller!.ready.catch(() => {})
  await settle()
  t.equal(h.dialog.errors.length, 1, 'an error box is shown')
  t.match(h.dialog.errors[0]!.content, /profile folder is unreadable/, 'it says why')
  t.ok(h.app.quitted, 'the app quits')
  t.equal(FakeBrowserWindow.instances.length, 0, 'no window was opened')
})

t.test('a peer that cannot start is explained in a message box', async (t) => {
  const h = await harness(t)
  h.backend.start = async () => {
    throw new Error('The folder /home/ada/Shared does not exist')
  }
  h.app.becomeReady()
  await h.controller!.ready
  await settle()
  t.equal(h.dialog.messages.length, 1, 'one message box')
  t.match(JSON.stringify(h.dialog.messages[0]), /does not exist/, 'saying why')
  t.equal(FakeBrowserWindow.instances.length, 1, 'the window is still there (to fix the settings)')
  t.equal(h.app.quitCalls, 0, 'the app keeps running')
})

t.test('quitting during startup neither opens a window nor leaves the peer running', async (t) => {
  const h = await harness(t)
  h.app.quit()
  h.app.becomeReady()
  await h.controller!.stopped()
  await settle()
  t.equal(FakeBrowserWindow.instances.length, 0, 'no window is opened')
  t.equal(h.backend.started, 0, 'the peer is not started')
  t.equal(h.backend.stopped, 1, 'the backend that was created is stopped')
  t.ok(h.app.quitted, 'the app quits')
})
