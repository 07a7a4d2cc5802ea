/**
 * Fakes of the Electron modules and of the peer runtime, just deep enough for the shell's logic: they record what
 * the shell asked for and let tests emit Electron's events. Not a suite (see .taprc's include).
 */
import { EventEmitter } from 'node:events'
import {
  bridgeChannelNames,
  type BridgeChannelName,
  type BridgeEvent,
  type BridgeListener,
  type Download,
  type Status,
} from '@flashback/protocol'
import type { CoreApi } from '../src/main/desktop-api.ts'
import type { DesktopBackend } from '../src/main/app.ts'
import type { Logger } from '@flashback/peer'
import type { RemoteFileFetcher, RemoteFileRequest } from '../src/main/protocol.ts'

export interface ElectronEvent {
  defaultPrevented: boolean
  preventDefault(): void
  url?: string
}

export function electronEvent(extra: Record<string, unknown> = {}): ElectronEvent {
  return {
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true
    },
    ...extra,
  }
}

export interface RecordingLogger extends Logger {
  entries: Array<{ level: string; obj: object; msg: string | undefined }>
}

export function recordingLogger(): RecordingLogger {
  const entries: RecordingLogger['entries'] = []
  const at = (level: string) => (objOrMsg: object | string, msg?: string) => {
    entries.push(typeof objOrMsg === 'string' ? { level, obj: {}, msg: objOrMsg } : { level, obj: objOrMsg, msg })
  }
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

// ------------------------------------------------------------------------------------------------------------
// The runtime side
// ------------------------------------------------------------------------------------------------------------

export const sampleStatus: Status = {
  email: 'ada@example.com',
  fingerprint: 'a'.repeat(64),
  registration: 'registered',
  broadcasting: true,
  lastHeartbeat: '2025-01-01T00:00:00.000Z',
  server: { port: 4433, addresses: ['127.0.0.1'] },
  errors: [],
}

export const sampleDownload: Download = {
  id: 'dl-1',
  email: 'bob@example.com',
  path: 'films/holiday.mp4',
  name: 'holiday.mp4',
  state: 'completed',
  received: 10,
  total: 10,
  file: '/home/ada/Downloads/holiday.mp4',
  startedAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:01.000Z',
}

/** Canned, schema-valid results of every bridge method. */
export function sampleResults(): Record<BridgeChannelName, unknown> {
  return {
    getInfo: { mode: 'web', version: 'runtime', canChooseFolder: false, canReveal: false, downloadsFolder: '/home/ada/Downloads' },
    getSettings: { settings: null, defaults: {} },
    setSettings: {
      settings: {
        email: 'ada@example.com',
        shareRoot: '/home/ada/Shared',
        trackerUrl: 'https://tracker.example.com',
        trackerFingerprint: null,
        bindAll: false,
        access: 'registered',
      },
      status: sampleStatus,
    },
    chooseShareFolder: { path: null },
    getStatus: sampleStatus,
    listMyFiles: { path: '', entries: [] },
    listPeers: { peers: [], updatedAt: '2025-01-01T00:00:00.000Z' },
    addFriend: { peer: { email: 'bob@example.com', friend: true, status: 'checking' } },
    removeFriend: { removed: true },
    listRemoteFiles: { path: '', entries: [] },
    readRemoteText: { path: 'a.md', mime: 'text/markdown', size: 2, text: '# ' },
    startDownload: sampleDownload,
    listDownloads: { downloads: [sampleDownload] },
    cancelDownload: sampleDownload,
    resumeDownload: sampleDownload,
    revealDownload: { ok: true },
    openExternal: { opened: false },
    searchFiles: { results: [{ email: 'bob@example.com', name: 'holiday.mp4', path: 'films/holiday.mp4', size: 10, sha256: 'ab'.repeat(32), online: true, mine: false }] },
    getPublishing: samplePublishing,
    setPublishing: { ...samplePublishing, enabled: true, state: 'scanning' },
  }
}

export const samplePublishing = { enabled: false, state: 'off', files: 0, hashed: 0, bytes: 0, bytesHashed: 0, unreadable: 0, published: 0, pending: 0, syncing: true }

export interface FakeCore extends CoreApi {
  calls: Array<{ name: BridgeChannelName; args: unknown }>
  results: Record<BridgeChannelName, unknown>
  failures: Partial<Record<BridgeChannelName, unknown>>
  listeners: Set<BridgeListener>
  emit(event: BridgeEvent): void
}

/** A FlashbackApi that records its calls; a class, so a shell that loses `this` would break here too. */
class FakeCoreApi {
  calls: Array<{ name: BridgeChannelName; args: unknown }> = []
  results = sampleResults()
  failures: Partial<Record<BridgeChannelName, unknown>> = {}
  listeners = new Set<BridgeListener>()
  subscribe(listener: BridgeListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
  emit(event: BridgeEvent): void {
    for (const l of this.listeners) l(event)
  }
  async invoke(name: BridgeChannelName, args: unknown): Promise<unknown> {
    this.calls.push({ name, args })
    if (name in this.failures) throw this.failures[name]
    return this.results[name]
  }
}
for (const name of bridgeChannelNames) {
  Object.defineProperty(FakeCoreApi.prototype, name, {
    value: function (this: FakeCoreApi, args: unknown) {
      return this.invoke(name, args)
    },
  })
}

export function fakeCore(): FakeCore {
  return new FakeCoreApi() as unknown as FakeCore
}

export interface FakeBackend extends DesktopBackend {
  core: FakeCore
  started: number
  stopped: number
  fetches: RemoteFileRequest[]
  /** Replace to make stop hang or fail. */
  stopImpl: () => Promise<void>
}

export function fakeBackend(): FakeBackend {
  const core = fakeCore()
  const fetches: RemoteFileRequest[] = []
  const fetchRemoteFile: RemoteFileFetcher = async (request) => {
    fetches.push(request)
    return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: null }
  }
  const backend: FakeBackend = {
    core,
    api: core,
    fetchRemoteFile,
    fetches,
    started: 0,
    stopped: 0,
    stopImpl: async () => {},
    async start() {
      backend.started++
    },
    async stop() {
      backend.stopped++
      await backend.stopImpl()
    },
  }
  return backend
}

// ------------------------------------------------------------------------------------------------------------
// Electron
// ------------------------------------------------------------------------------------------------------------

export class FakeWebContents extends EventEmitter {
  url = ''
  destroyed = false
  sent: Array<{ channel: string; payload: unknown }> = []
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined
  send(channel: string, payload: unknown): void {
    this.sent.push({ channel, payload })
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  getURL(): string {
    return this.url
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = []
  static getAllWindows(): FakeBrowserWindow[] {
    return FakeBrowserWindow.instances.filter((w) => !w.destroyed)
  }
  options: Record<string, unknown>
  webContents = new FakeWebContents()
  destroyed = false
  visible = false
  minimized = false
  focused = 0
  restored = 0
  constructor(options: Record<string, unknown>) {
    super()
    this.options = options
    FakeBrowserWindow.instances.push(this)
  }
  async loadURL(url: string): Promise<void> {
    this.webContents.url = url
  }
  show(): void {
    this.visible = true
  }
  isVisible(): boolean {
    return this.visible
  }
  isMinimized(): boolean {
    return this.minimized
  }
  restore(): void {
    this.minimized = false
    this.restored++
  }
  focus(): void {
    this.focused++
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  close(): void {
    this.destroyed = true
    this.webContents.destroyed = true
    this.emit('closed')
  }
}

export class FakeApp extends EventEmitter {
  lock = true
  sandboxEnabled = false
  quitCalls = 0
  /** Set once a quit went through (before-quit was not prevented). */
  quitted = false
  isPackaged = false
  readonly userData: string
  readonly downloads: string
  #ready: { promise: Promise<void>; resolve: () => void }
  constructor(userData: string, downloads = '/tmp/downloads') {
    super()
    this.userData = userData
    this.downloads = downloads
    let resolve!: () => void
    const promise = new Promise<void>((r) => (resolve = r))
    this.#ready = { promise, resolve }
  }
  requestSingleInstanceLock(): boolean {
    return this.lock
  }
  enableSandbox(): void {
    this.sandboxEnabled = true
  }
  whenReady(): Promise<void> {
    return this.#ready.promise
  }
  becomeReady(): void {
    this.#ready.resolve()
  }
  quit(): void {
    this.quitCalls++
    const event = electronEvent()
    this.emit('before-quit', event)
    if (!event.defaultPrevented) this.quitted = true
  }
  getVersion(): string {
    return '1.2.3'
  }
  getName(): string {
    return 'Flashback'
  }
  getPath(name: string): string {
    return name === 'userData' ? this.userData : this.downloads
  }
}

export class FakeIpcMain {
  handlers = new Map<string, (event: unknown, arg?: unknown) => Promise<unknown>>()
  handle(channel: string, handler: (event: unknown, arg?: unknown) => Promise<unknown>): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
    this.handlers.set(channel, handler)
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel)
  }
}

export class FakeProtocol {
  privileged: Array<{ scheme: string; privileges?: Record<string, unknown> }> = []
  handlers = new Map<string, (request: Request) => Promise<Response>>()
  registerSchemesAsPrivileged(schemes: Array<{ scheme: string; privileges?: Record<string, unknown> }>): void {
    this.privileged.push(...schemes)
  }
  handle(scheme: string, handler: (request: Request) => Promise<Response>): void {
    this.handlers.set(scheme, handler)
  }
}

type PermissionRequestHandler = (contents: unknown, permission: string, callback: (granted: boolean) => void, details: Record<string, unknown>) => void
type PermissionCheckHandler = (contents: unknown, permission: string, origin: string, details: Record<string, unknown>) => boolean

export class FakeSession extends EventEmitter {
  requestHandler: PermissionRequestHandler | undefined
  checkHandler: PermissionCheckHandler | undefined
  deviceHandler: ((details: unknown) => boolean) | undefined
  displayMediaHandler: ((request: unknown, callback: (streams: Record<string, unknown>) => void) => void) | undefined
  beforeRequest: { filter: { urls: string[] }; listener: (details: { url: string }, callback: (response: { cancel?: boolean }) => void) => void } | undefined
  webRequest = {
    onBeforeRequest: (filter: { urls: string[] }, listener: NonNullable<FakeSession['beforeRequest']>['listener']) => {
      this.beforeRequest = { filter, listener }
    },
  }
  setPermissionRequestHandler(handler: PermissionRequestHandler): void {
    this.requestHandler = handler
  }
  setPermissionCheckHandler(handler: PermissionCheckHandler): void {
    this.checkHandler = handler
  }
  setDevicePermissionHandler(handler: (details: unknown) => boolean): void {
    this.deviceHandler = handler
  }
  setDisplayMediaRequestHandler(handler: NonNullable<FakeSession['displayMediaHandler']>): void {
    this.displayMediaHandler = handler
  }
}

export interface FakeMenuItem {
  id?: string
  label?: string
  type?: string
  checked?: boolean
  role?: string
  submenu?: FakeMenuItem[]
  click?: (item: { checked: boolean }) => void
}

export class FakeTray extends EventEmitter {
  static instances: FakeTray[] = []
  image: unknown
  tooltip = ''
  menu: FakeMenuItem[] = []
  destroyed = false
  constructor(image: unknown) {
    super()
    this.image = image
    FakeTray.instances.push(this)
  }
  setToolTip(text: string): void {
    this.tooltip = text
  }
  setContextMenu(menu: { template: FakeMenuItem[] }): void {
    this.menu = menu.template
  }
  destroy(): void {
    this.destroyed = true
  }
}

export const FakeMenu = {
  applicationMenu: null as null | { template: FakeMenuItem[] },
  buildFromTemplate(template: FakeMenuItem[]) {
    return { template }
  },
  setApplicationMenu(menu: { template: FakeMenuItem[] } | null) {
    FakeMenu.applicationMenu = menu
  },
}

export function fakeShell() {
  const shell = {
    opened: [] as string[],
    revealed: [] as string[],
    async openExternal(url: string) {
      shell.opened.push(url)
    },
    showItemInFolder(file: string) {
      shell.revealed.push(file)
    },
  }
  return shell
}

export function fakeDialog(answer: { canceled: boolean; filePaths: string[] } = { canceled: true, filePaths: [] }) {
  const dialog = {
    opened: 0,
    errors: [] as Array<{ title: string; content: string }>,
    messages: [] as unknown[],
    answer,
    async showOpenDialog(..._args: unknown[]) {
      dialog.opened++
      return dialog.answer
    },
    async showMessageBox(...args: unknown[]) {
      dialog.messages.push(args.at(-1))
      return { response: 0, checkboxChecked: false }
    },
    showErrorBox(title: string, content: string) {
      dialog.errors.push({ title, content })
    },
  }
  return dialog
}

/** What `ipcMain.handle` gives a handler: the sending frame. */
export function invokeEvent(url: string, options: { parent?: unknown } = {}) {
  return { senderFrame: { url, parent: options.parent ?? null } } as never
}
