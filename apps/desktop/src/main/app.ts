/**
 * The desktop app's life, with Electron and the peer runtime injected (index.ts passes the real ones; the tests pass
 * fakes): single-instance lock, hardening, the two protocols, the bridge's IPC handlers and events, the window, the
 * tray, and quitting, which stops the runtime (it sends `broadcast/offline`) before the process ends.
 */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import type {
  App,
  BrowserWindow,
  Dialog,
  IpcMain,
  Menu,
  NativeImage,
  Protocol,
  Session,
  Shell,
  Tray,
  WebContents,
} from 'electron'
import { ELECTRON_REMOTE_SCHEME } from '@flashback/protocol'
import { createAppFileHandler } from './app-protocol.js'
import { createDesktopApi, type CoreApi, type ShellHooks } from './desktop-api.js'
import { forwardBridgeEvents, registerBridgeHandlers } from './ipc.js'
import { type Logger } from '@flashback/peer'
import { applicationMenuTemplate } from './menu.js'
import { createRemoteFileHandler, type RemoteFileFetcher } from './protocol.js'
import { APP_SCHEME, hardenApp, hardenSession, registerPrivilegedSchemes } from './security.js'
import { loadShellSettings, type ShellSettingsStore } from './shell-settings.js'
import { createTray, type TrayController } from './tray.js'
import { createMainWindow, focusWindow, type BrowserWindowClass } from './window.js'

/** The peer runtime as the shell sees it (services/peer builds it; see backend.ts). */
export interface DesktopBackend {
  /** The runtime-backed FlashbackApi (shared with web mode). */
  api: CoreApi
  /** Raw GET of a peer's file over mutual TLS, for `flashback://`. */
  fetchRemoteFile: RemoteFileFetcher
  /** Starts the peer if it is configured (registration, broadcast, heartbeats). */
  start(): Promise<void>
  /** Stops the peer: `broadcast/offline` to the tracker, then closes its server and connections. */
  stop(): Promise<void>
}

export interface BackendContext {
  /** Electron's userData folder. */
  userDataDir: string
  /** The runtime's profile folder (identity, config.json, friends...), inside userData. */
  profileDir: string
  /** Where downloads are saved. */
  downloadsDir: string
  /** The app's version. */
  version: string
  log: Logger
}

export type CreateBackend = (context: BackendContext) => Promise<DesktopBackend>

/** The parts of Electron the shell uses (index.ts passes the `electron` module itself). */
export interface ElectronModules {
  app: Pick<
    App,
    'requestSingleInstanceLock' | 'quit' | 'on' | 'whenReady' | 'enableSandbox' | 'getVersion' | 'getPath' | 'isPackaged' | 'getName'
  >
  BrowserWindow: BrowserWindowClass & { getAllWindows(): BrowserWindow[] }
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>
  protocol: Pick<Protocol, 'registerSchemesAsPrivileged' | 'handle'>
  session: { defaultSession: Parameters<typeof hardenSession>[0] & Partial<Pick<Session, 'protocol'>> }
  shell: Pick<Shell, 'openExternal' | 'showItemInFolder'>
  dialog: Pick<Dialog, 'showOpenDialog' | 'showErrorBox' | 'showMessageBox'>
  Tray: new (image: NativeImage | string) => Tray
  Menu: Pick<typeof Menu, 'buildFromTemplate' | 'setApplicationMenu'>
  /** To scale the 512 px icon down for the tray (without it, the tray gets the file path). */
  nativeImage?: { createFromPath(path: string): NativeImage }
}

export interface DesktopPaths {
  /** dist/preload/index.cjs */
  preload: string
  /** The UI build (apps/ui/dist, or resources/ui when packaged). */
  uiRoot: string
  /** The window and tray icon. */
  icon: string
}

export interface DesktopOptions {
  electron: ElectronModules
  createBackend: CreateBackend
  paths: DesktopPaths
  log: Logger
  /** DevTools and the developer menu items (development builds only). */
  devTools: boolean
  platform?: NodeJS.Platform
  /** How long quitting waits for the runtime's `broadcast/offline` before giving up. */
  stopTimeoutMs?: number
  /** Where SIGINT/SIGTERM are heard (they quit cleanly, so the tracker hears we left). */
  signals?: Pick<NodeJS.Process, 'once'>
  fileExists?: (file: string) => Promise<boolean>
}

export interface DesktopController {
  /** Settles when the window is up (or setup failed, and the app is quitting). */
  ready: Promise<void>
  window(): BrowserWindow | null
  backend(): DesktopBackend | null
  settings(): ShellSettingsStore | null
  /** Settles when quitting stopped the runtime (or gave up waiting). */
  stopped(): Promise<void> | null
}

export const DEFAULT_STOP_TIMEOUT_MS = 5000

async function defaultFileExists(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile()
  } catch {
    return false
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<{ done: false }>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms)
  })
  return Promise.race([promise.then((value) => ({ done: true as const, value })), timeout]).finally(() => clearTimeout(timer))
}

/**
 * Starts the desktop app. Returns null when another instance holds the lock: that one is told to show its window
 * (Electron emits 'second-instance' there) and this one quits.
 */
export function startDesktop(options: DesktopOptions): DesktopController | null {
  const { electron, log } = options
  const { app, BrowserWindow, ipcMain, protocol, session, shell, dialog } = electron
  const platform = options.platform ?? process.platform

  if (!app.requestSingleInstanceLock()) {
    log.info({}, 'Flashback is already running; its window is shown instead')
    app.quit()
    return null
  }

  // Before 'ready': schemes are registered with their privileges, every renderer sandboxed and every webContents
  // hardened as it is created.
  registerPrivilegedSchemes(protocol)
  const openExternal = (url: string) => shell.openExternal(url)
  hardenApp(app, { openExternal, log })

  let win: BrowserWindow | null = null
  let backend: DesktopBackend | null = null
  let settings: ShellSettingsStore | null = null
  let tray: TrayController | null = null
  let isReady = false
  let quitting = false
  let stopping: Promise<void> | null = null
  let finishedStopping = false
  const disposers: Array<() => void> = []

  const showWindow = () => {
    if (!isReady || quitting) return
    if (win && !win.isDestroyed()) {
      focusWindow(win)
      return
    }
    win = createMainWindow({ BrowserWindow, preload: options.paths.preload, devTools: options.devTools, icon: options.paths.icon, log })
    win.on('closed', () => {
      win = null
    })
  }

  const shellHooks: ShellHooks = {
    async chooseFolder() {
      const dialogOptions = { title: 'Choose the folder to share', properties: ['openDirectory', 'createDirectory'] as Array<'openDirectory' | 'createDirectory'> }
      const result = win && !win.isDestroyed() ? await dialog.showOpenDialog(win, dialogOptions) : await dialog.showOpenDialog(dialogOptions)
      return result.canceled ? null : (result.filePaths[0] ?? null)
    },
    revealFile: (file) => shell.showItemInFolder(file),
    openExternal,
    fileExists: options.fileExists ?? defaultFileExists,
  }

  async function setup(): Promise<void> {
    hardenSession(session.defaultSession, log)
    electron.Menu.setApplicationMenu(
      electron.Menu.buildFromTemplate(applicationMenuTemplate({ isMac: platform === 'darwin', devTools: options.devTools, appName: app.getName() })),
    )
    const userDataDir = app.getPath('userData')
    settings = await loadShellSettings(userDataDir, log)
    backend = await options.createBackend({
      userDataDir,
      profileDir: path.join(userDataDir, 'profile'),
      downloadsDir: app.getPath('downloads'),
      version: app.getVersion(),
      log,
    })
    const api = createDesktopApi(backend.api, shellHooks, { version: app.getVersion() })

    protocol.handle(APP_SCHEME, createAppFileHandler({ root: options.paths.uiRoot }))
    protocol.handle(ELECTRON_REMOTE_SCHEME, createRemoteFileHandler(backend.fetchRemoteFile, { log }))
    disposers.push(registerBridgeHandlers(ipcMain, api, { log }))
    disposers.push(
      forwardBridgeEvents(
        (listener) => api.subscribe(listener),
        () => BrowserWindow.getAllWindows().map((w): WebContents => w.webContents),
        log,
      ),
    )

    try {
      const store = settings
      // Tray icons are small: 16 pt on macOS's menu bar, 22 px on Linux and Windows.
      const trayIconSize = platform === 'darwin' ? 16 : 22
      const trayIcon = electron.nativeImage
        ? electron.nativeImage.createFromPath(options.paths.icon).resize({ width: trayIconSize, height: trayIconSize })
        : options.paths.icon
      tray = createTray({
        Tray: electron.Tray,
        Menu: electron.Menu,
        icon: trayIcon,
        keepRunning: () => store.get().keepRunningInBackground,
        setKeepRunning: (value) => {
          store.set({ keepRunningInBackground: value }).catch((err: unknown) => log.warn({ err }, 'the desktop settings could not be saved'))
        },
        show: showWindow,
        quit: () => app.quit(),
      })
      disposers.push(
        api.subscribe((event) => {
          if (event.type === 'status') tray?.setStatus(event.status)
        }),
      )
    } catch (err) {
      // Some Linux desktops have no tray; the app works without it (closing the window then quits).
      log.warn({ err }, 'no tray icon on this desktop')
      tray = null
    }

    isReady = true
    if (quitting) return
    showWindow()
    backend.start().catch((err: unknown) => {
      log.error({ err }, 'the peer could not start')
      // The window shows the peer as not sharing; say why (saving the settings again retries).
      const detail = err instanceof Error ? err.message : String(err)
      const options = { type: 'warning' as const, title: 'Flashback', message: 'Flashback could not start sharing.', detail: `${detail}\n\nCheck your settings, then save them to try again.` }
      const shown = win && !win.isDestroyed() ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options)
      shown.catch(() => {})
    })
  }

  const ready = app.whenReady().then(setup)
  ready.catch((err: unknown) => {
    log.error({ err }, 'the desktop app could not start')
    // Packaged apps have no terminal: say it on screen.
    try {
      dialog.showErrorBox('Flashback could not start', err instanceof Error ? err.message : String(err))
    } catch {
      // no display
    }
    app.quit()
  })

  app.on('second-instance', () => showWindow())
  // macOS: clicking the dock icon with no window open.
  app.on('activate', () => showWindow())

  app.on('window-all-closed', () => {
    // Without a tray icon there would be no way back to a hidden app: keep running only if both exist.
    if (settings?.get().keepRunningInBackground && tray) {
      log.info({}, 'the window is closed; the peer keeps sharing in the background')
      return
    }
    app.quit()
  })

  async function shutdown(): Promise<void> {
    quitting = true
    await ready.catch(() => {})
    for (const dispose of disposers.splice(0)) {
      try {
        dispose()
      } catch {
        // already gone
      }
    }
    tray?.destroy()
    tray = null
    if (!backend) return
    const result = await withTimeout(
      backend.stop().then(
        () => true,
        (err: unknown) => {
          log.error({ err }, 'the peer did not stop cleanly')
          return false
        },
      ),
      options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
    )
    if (!result.done) log.warn({}, 'the peer took too long to stop; quitting anyway')
    else if (result.value) log.info({}, 'the peer stopped')
  }

  app.on('before-quit', (event) => {
    if (finishedStopping) return
    event.preventDefault()
    if (stopping) return
    stopping = shutdown().finally(() => {
      finishedStopping = true
      app.quit()
    })
  })

  const signals = options.signals ?? process
  for (const signal of ['SIGINT', 'SIGTERM'] as const) signals.once(signal, () => app.quit())

  return {
    ready,
    window: () => win,
    backend: () => backend,
    settings: () => settings,
    stopped: () => stopping,
  }
}
