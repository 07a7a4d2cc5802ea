/**
 * The preload of the app window (sandboxed: bundled by build.mjs as one CommonJS file whose only `require` is
 * `electron`). It exposes `window.flashback` and nothing else.
 */
import { contextBridge, ipcRenderer } from 'electron'
import { type FlashbackApi } from '@flashback/protocol'
import { createPreloadApi } from './api.js'

contextBridge.exposeInMainWorld('flashback', createPreloadApi(ipcRenderer) satisfies FlashbackApi)
