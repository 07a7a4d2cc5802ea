/**
 * The tray icon: open the window, choose whether the peer keeps sharing while the window is closed, quit.
 * The choice is the user's (persisted by the shell settings); without it, closing the window quits the app, which
 * stops the peer (and so tells the tracker `broadcast/offline`).
 */
import type { Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron'
import { type Status } from '@flashback/protocol'

export const KEEP_RUNNING_LABEL = 'Keep sharing when the window is closed'

export interface TrayOptions {
  Tray: new (image: NativeImage | string) => Tray
  Menu: Pick<typeof Menu, 'buildFromTemplate'>
  icon: NativeImage | string
  keepRunning(): boolean
  setKeepRunning(value: boolean): void
  show(): void
  quit(): void
}

export interface TrayController {
  /** Rebuilds the menu (after the setting changed elsewhere). */
  refresh(): void
  /** Updates the tooltip from the peer's status. */
  setStatus(status: Pick<Status, 'registration' | 'broadcasting'>): void
  destroy(): void
}

export function trayMenuTemplate(options: Omit<TrayOptions, 'Tray' | 'Menu' | 'icon'>, after: () => void): MenuItemConstructorOptions[] {
  return [
    { id: 'open', label: 'Open Flashback', click: () => options.show() },
    { type: 'separator' },
    {
      id: 'keep-running',
      label: KEEP_RUNNING_LABEL,
      type: 'checkbox',
      checked: options.keepRunning(),
      click: (item) => {
        options.setKeepRunning(Boolean(item.checked))
        after()
      },
    },
    { type: 'separator' },
    { id: 'quit', label: 'Quit Flashback', click: () => options.quit() },
  ]
}

export function statusTooltip(status: Pick<Status, 'registration' | 'broadcasting'>): string {
  if (status.broadcasting) return 'Flashback: sharing'
  switch (status.registration) {
    case 'unconfigured':
      return 'Flashback: not set up yet'
    case 'stopped':
      return 'Flashback: not sharing'
    case 'email_taken':
      return 'Flashback: this e-mail is registered with another certificate'
    case 'rejected':
      return 'Flashback: the tracker refused this computer'
    case 'retrying':
      return 'Flashback: trying to reach the tracker'
    default:
      return 'Flashback: connecting'
  }
}

export function createTray(options: TrayOptions): TrayController {
  const tray = new options.Tray(options.icon)
  const refresh = () => tray.setContextMenu(options.Menu.buildFromTemplate(trayMenuTemplate(options, refresh)))
  tray.setToolTip('Flashback')
  tray.on('click', () => options.show())
  refresh()
  return {
    refresh,
    setStatus: (status) => tray.setToolTip(statusTooltip(status)),
    destroy: () => tray.destroy(),
  }
}
