// A stand-in for the `electron` module, loaded with `node -r` before the built dist/main/index.cjs (the Electron
// binary cannot run here). It plays the app's life: ready → checks through the registered IPC and protocol handlers
// → quit, and prints one JSON line per step on stdout for test/build.test.ts to read.
'use strict'
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: preloaded with node -r before a CommonJS bundle */
const Module = require('node:module')
const { EventEmitter } = require('node:events')

const userData = process.env.FAKE_ELECTRON_USER_DATA
if (!userData) throw new Error('FAKE_ELECTRON_USER_DATA is required')
const report = (step, data = {}) => process.stdout.write(`${JSON.stringify({ step, ...data })}\n`)

const handlers = new Map()
const protocols = new Map()
const windows = []

class WebContents extends EventEmitter {
  constructor() {
    super()
    this.url = ''
    this.sent = []
  }
  send(channel, payload) {
    this.sent.push({ channel, payload })
  }
  isDestroyed() {
    return false
  }
  getURL() {
    return this.url
  }
  setWindowOpenHandler() {}
}
class BrowserWindow extends EventEmitter {
  static getAllWindows() {
    return windows
  }
  constructor(options) {
    super()
    this.options = options
    this.webContents = new WebContents()
    windows.push(this)
  }
  async loadURL(url) {
    this.webContents.url = url
  }
  show() {}
  focus() {}
  restore() {}
  isMinimized() {
    return false
  }
  isVisible() {
    return true
  }
  isDestroyed() {
    return false
  }
}

const app = new EventEmitter()
let quitting = false
Object.assign(app, {
  isPackaged: false,
  requestSingleInstanceLock: () => true,
  enableSandbox: () => {},
  whenReady: () => Promise.resolve(),
  getVersion: () => '0.0.0-smoke',
  getName: () => 'Flashback',
  getPath: (name) => (name === 'userData' ? userData : `${userData}/Downloads`),
  quit() {
    const event = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true } }
    app.emit('before-quit', event)
    if (!event.defaultPrevented && !quitting) {
      quitting = true
      report('quit')
      setImmediate(() => process.exit(0))
    }
  },
})

const session = new EventEmitter()
Object.assign(session, {
  setPermissionRequestHandler() {},
  setPermissionCheckHandler() {},
  setDevicePermissionHandler() {},
  setDisplayMediaRequestHandler() {},
  webRequest: { onBeforeRequest() {} },
})

const electron = {
  app,
  BrowserWindow,
  ipcMain: { handle: (channel, handler) => handlers.set(channel, handler), removeHandler: (channel) => handlers.delete(channel) },
  protocol: { registerSchemesAsPrivileged() {}, handle: (scheme, handler) => protocols.set(scheme, handler) },
  session: { defaultSession: session },
  shell: { openExternal: async () => {}, showItemInFolder() {} },
  dialog: { showOpenDialog: async () => ({ canceled: true, filePaths: [] }), showMessageBox: async (...a) => (report('message-box', { detail: a.at(-1).detail }), { response: 0 }), showErrorBox: (title, content) => report('error-box', { title, content }) },
  Menu: { buildFromTemplate: (t) => t, setApplicationMenu() {} },
  nativeImage: { createFromPath: () => ({ resize: () => ({}) }) },
  Tray: class extends EventEmitter {
    setToolTip() {}
    setContextMenu() {}
    destroy() {}
  },
}

const load = Module._load
Module._load = function (request, ...rest) {
  if (request === 'electron') return electron
  return load.call(this, request, ...rest)
}

// Once the app is up: one bridge call from the app page, one from a foreign page, one flashback:// request.
const appFrame = { senderFrame: { url: 'app://flashback/index.html', parent: null } }
const check = async () => {
  for (let i = 0; i < 500 && windows.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
  report('window', { url: windows[0]?.webContents.url, webPreferences: windows[0]?.options.webPreferences })
  report('channels', { channels: [...handlers.keys()].sort(), protocols: [...protocols.keys()].sort() })
  report('getInfo', { result: await handlers.get('flashback:getInfo')(appFrame, {}) })
  report('getSettings', { result: await handlers.get('flashback:getSettings')(appFrame, {}) })
  const foreign = await handlers.get('flashback:getStatus')({ senderFrame: { url: 'https://evil.example/', parent: null } }, {}).catch((e) => e.message)
  report('foreign', { message: foreign })
  const res = await protocols.get('flashback')(new Request('flashback://peer/bob%40example.com/a.mp4'))
  report('remote', { status: res.status, code: res.headers.get('x-flashback-error') })
  app.quit()
}
setImmediate(() => check().catch((err) => report('failed', { message: String(err && err.stack) })))
