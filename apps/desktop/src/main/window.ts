/**
 * The one app window: created hidden, shown once its first paint is ready, loading the UI from `app://flashback/`.
 * Its webPreferences come from security.ts and nowhere else.
 */
import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron'
import { APP_ENTRY_URL, secureWebPreferences } from './security.js'
import { type Logger } from '@flashback/peer'

export type BrowserWindowClass = new (options: BrowserWindowConstructorOptions) => BrowserWindow

export interface MainWindowOptions {
  BrowserWindow: BrowserWindowClass
  /** dist/preload/index.cjs */
  preload: string
  /** DevTools only in development builds. */
  devTools: boolean
  icon?: string
  log: Logger
}

export function mainWindowOptions(options: Pick<MainWindowOptions, 'preload' | 'devTools' | 'icon'>): BrowserWindowConstructorOptions {
  return {
    width: 1180,
    height: 780,
    minWidth: 720,
    minHeight: 480,
    title: 'Flashback',
    show: false,
    backgroundColor: '#f6f4ef',
    autoHideMenuBar: true,
    ...(options.icon ? { icon: options.icon } : {}),
    webPreferences: secureWebPreferences({ preload: options.preload, devTools: options.devTools }),
  }
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const win = new options.BrowserWindow(mainWindowOptions(options))
  win.once('ready-to-show', () => win.show())
  win.webContents.on('render-process-gone', (_event, details) => {
    options.log.error({ reason: details.reason, exitCode: details.exitCode }, 'the window renderer is gone')
  })
  win.loadURL(APP_ENTRY_URL).catch((err: unknown) => options.log.error({ err }, 'the UI could not be loaded'))
  return win
}

/** Brings a window to the front (second launch, tray click): restored if minimized, shown if hidden. */
export function focusWindow(win: Pick<BrowserWindow, 'isMinimized' | 'restore' | 'isVisible' | 'show' | 'focus'>): void {
  if (win.isMinimized()) win.restore()
  if (!win.isVisible()) win.show()
  win.focus()
}
