/**
 * The application menu: Electron's default one carries "Toggle Developer Tools" and "Force Reload" into production.
 * This one keeps what people need (copy/paste on macOS needs the Edit roles; zoom; window), with the developer items
 * only in development builds.
 */
import type { MenuItemConstructorOptions } from 'electron'

export function applicationMenuTemplate(options: { isMac: boolean; devTools: boolean; appName: string }): MenuItemConstructorOptions[] {
  const view: MenuItemConstructorOptions[] = [
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ]
  if (options.devTools) view.unshift({ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' })
  const template: MenuItemConstructorOptions[] = []
  if (options.isMac) template.push({ label: options.appName, role: 'appMenu' })
  else template.push({ label: 'File', submenu: [{ role: 'quit', label: 'Quit Flashback' }] })
  template.push({ role: 'editMenu' }, { label: 'View', submenu: view }, { role: 'windowMenu' })
  return template
}
