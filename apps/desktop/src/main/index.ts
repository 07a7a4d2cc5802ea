/**
 * The main process entry (bundled to dist/main/index.cjs): the real Electron modules and the real peer runtime,
 * handed to startDesktop. Nothing here is logic; app.ts holds it (and the tests drive it with fakes).
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, protocol, session, shell, Tray } from 'electron'
import { createLogger } from '@flashback/peer'
import { startDesktop } from './app.js'
import { createRuntimeBackend } from './backend.js'
import { resolveDesktopPaths } from './paths.js'

// The CommonJS bundle has __dirname; the TypeScript sources (tests, tsx) are ES modules.
const mainDir = typeof __dirname === 'string' ? __dirname : path.dirname(fileURLToPath(import.meta.url))

const log = createLogger({ level: process.env['FLASHBACK_LOG_LEVEL'] ?? 'info', name: 'flashback-desktop' })

startDesktop({
  electron: { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, protocol, session, shell, Tray },
  createBackend: createRuntimeBackend,
  paths: resolveDesktopPaths({ mainDir, isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, env: process.env }),
  devTools: !app.isPackaged,
  log,
})
