import t from 'tap'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DesktopOptions } from '../../src/main/app.ts'

t.test('the entry hands the real Electron modules and the runtime wiring to startDesktop', async (t) => {
  const calls: DesktopOptions[] = []
  const electron = {
    app: { isPackaged: false, name: 'electron-app' },
    BrowserWindow: class {},
    dialog: {},
    ipcMain: {},
    Menu: {},
    nativeImage: {},
    protocol: {},
    session: {},
    shell: {},
    Tray: class {},
  }
  await t.mockImport('../../src/main/index.ts', {
    electron,
    '../../src/main/app.ts': {
      startDesktop: (options: DesktopOptions) => {
        calls.push(options)
        return null
      },
    },
  })
  t.equal(calls.length, 1, 'startDesktop is called once, at load')
  const options = calls[0]!
  t.equal(options.electron.app, electron.app as never, 'with the real app module')
  t.equal(options.electron.BrowserWindow, electron.BrowserWindow as never, 'and BrowserWindow')
  // mockImport loads fresh module copies, so compare by name rather than identity.
  t.equal(options.createBackend.name, 'createRuntimeBackend', 'the backend is the runtime wiring of backend.ts')
  t.equal(options.devTools, true, 'an unpackaged app has DevTools')
  const srcMain = path.dirname(fileURLToPath(new URL('../../src/main/index.ts', import.meta.url)))
  t.equal(options.paths.preload, path.join(srcMain, '..', 'preload', 'index.cjs'), 'the preload path is next to the main bundle')
})
