/**
 * Where the shell finds its files. In development (`electron .` in apps/desktop, after `npm run build`) the bundle
 * runs from apps/desktop/dist/main and the UI is apps/ui's Vite build, loaded at run time (the shell never needs the
 * UI built to build itself). A packaged app finds the UI and the icon in its resources folder (electron-builder's
 * `extraResources` copies apps/ui/dist there as `ui/`).
 */
import path from 'node:path'
import { type DesktopPaths } from './app.js'

export function resolveDesktopPaths(input: {
  /** The folder of the running main bundle (dist/main). */
  mainDir: string
  isPackaged: boolean
  /** process.resourcesPath */
  resourcesPath: string
  env?: NodeJS.ProcessEnv
}): DesktopPaths {
  const preload = path.join(input.mainDir, '..', 'preload', 'index.cjs')
  if (input.isPackaged) {
    return { preload, uiRoot: path.join(input.resourcesPath, 'ui'), icon: path.join(input.resourcesPath, 'icon.png') }
  }
  const desktopDir = path.resolve(input.mainDir, '..', '..')
  // A developer may point the shell at another UI build; packaged apps ignore this.
  const override = input.env?.['FLASHBACK_UI_DIR']
  return {
    preload,
    uiRoot: override ? path.resolve(override) : path.resolve(desktopDir, '..', 'ui', 'dist'),
    icon: path.join(desktopDir, 'build', 'icon.png'),
  }
}
