import t from 'tap'
import { createMainWindow, focusWindow, mainWindowOptions } from '../../src/main/window.ts'
import { APP_ENTRY_URL } from '../../src/main/security.ts'
import { FakeBrowserWindow, recordingLogger } from '../fakes.ts'

t.test('the window: secure webPreferences, hidden until ready, loads the app page', async (t) => {
  const options = mainWindowOptions({ preload: '/p.cjs', devTools: false, icon: '/i.png' })
  t.equal(options.show, false, 'created hidden (no white flash)')
  t.equal(options.icon, '/i.png', 'with the icon')
  const prefs = options.webPreferences!
  t.same(
    [prefs.contextIsolation, prefs.sandbox, prefs.nodeIntegration, prefs.webSecurity, prefs.webviewTag, prefs.allowRunningInsecureContent, prefs.devTools],
    [true, true, false, true, false, false, false],
    'contextIsolation, sandbox, no Node, webSecurity, no webview, no insecure content, no DevTools',
  )
  FakeBrowserWindow.instances = []
  const win = createMainWindow({ BrowserWindow: FakeBrowserWindow as never, preload: '/p.cjs', devTools: false, log: recordingLogger() }) as unknown as FakeBrowserWindow
  t.equal(win.webContents.url, APP_ENTRY_URL, 'loads app://flashback/index.html')
  t.notOk(win.visible, 'not shown before its first paint')
  win.emit('ready-to-show')
  t.ok(win.visible, 'shown when ready')
  const log = recordingLogger()
  const crashy = createMainWindow({ BrowserWindow: FakeBrowserWindow as never, preload: '/p.cjs', devTools: false, log }) as unknown as FakeBrowserWindow
  crashy.webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 1 })
  t.ok(log.entries.some((e) => e.level === 'error' && e.msg?.includes('renderer is gone')), 'a crashed renderer is logged')
})

t.test('focusWindow restores, shows and focuses', async (t) => {
  const win = new FakeBrowserWindow({})
  win.minimized = true
  focusWindow(win as never)
  t.equal(win.restored, 1, 'restored')
  t.ok(win.visible, 'shown')
  t.equal(win.focused, 1, 'focused')
})
