/**
 * The desktop's FlashbackApi: the runtime-backed implementation (shared with web mode, from services/peer) for
 * everything the peer does, with the few methods only a desktop shell can do replaced by native ones: a folder
 * picker, "show in folder" for a download, opening a link in the system browser, and `getInfo` saying so.
 */
import {
  BridgeError,
  BridgeErrorCode,
  bridgeChannelNames,
  type AppInfo,
  type BridgeListener,
  type BridgeMethods,
  type ChooseFolderReply,
  type DownloadIdArgs,
  type OkReply,
  type OpenExternalArgs,
  type OpenExternalReply,
} from '@flashback/protocol'
import { isExternalWebUrl } from './security.js'

/** What the runtime side provides: every bridge method and the event stream. */
export type CoreApi = BridgeMethods & { subscribe(listener: BridgeListener): () => void }

/** The native services of the shell (Electron's dialog and shell modules in production, fakes in tests). */
export interface ShellHooks {
  /** A native "choose a folder" dialog; null when the user cancelled. */
  chooseFolder(): Promise<string | null>
  /** Shows a file in the system file manager. */
  revealFile(path: string): void
  /** Opens an http(s) URL in the system browser. */
  openExternal(url: string): Promise<void>
  /** Whether a file exists (to refuse revealing a download that is gone). */
  fileExists(path: string): Promise<boolean>
}

export interface DesktopApiOptions {
  /** The app's version (Electron's `app.getVersion()`). */
  version: string
}

export function createDesktopApi(core: CoreApi, shell: ShellHooks, options: DesktopApiOptions): CoreApi {
  const api: CoreApi = {
    ...pickMethods(core),
    subscribe: (listener) => core.subscribe(listener),

    async getInfo(): Promise<AppInfo> {
      const info = await core.getInfo({})
      return { ...info, mode: 'desktop', version: options.version, canChooseFolder: true, canReveal: true }
    },

    async chooseShareFolder(): Promise<ChooseFolderReply> {
      return { path: await shell.chooseFolder() }
    },

    async revealDownload(args?: DownloadIdArgs): Promise<OkReply> {
      const id = args?.id
      const { downloads } = await core.listDownloads({})
      const download = downloads.find((d) => d.id === id)
      if (!download) throw new BridgeError(BridgeErrorCode.invalidState, 'There is no such download.')
      for (const candidate of [download.file, `${download.file}.part`]) {
        if (await shell.fileExists(candidate)) {
          shell.revealFile(candidate)
          return { ok: true }
        }
      }
      throw new BridgeError(BridgeErrorCode.invalidState, `${download.name} is no longer in the downloads folder.`)
    },

    async openExternal(args?: OpenExternalArgs): Promise<OpenExternalReply> {
      const url = args?.url
      if (!isExternalWebUrl(url)) return { opened: false }
      await shell.openExternal(url)
      return { opened: true }
    },
  }
  return api
}

/** The core's methods bound to it (the spread of a class instance would lose its prototype methods). */
function pickMethods(core: CoreApi): BridgeMethods {
  const out: Record<string, unknown> = {}
  for (const name of bridgeChannelNames) {
    const method = (core as unknown as Record<string, unknown>)[name]
    if (typeof method !== 'function') throw new TypeError(`the runtime's FlashbackApi has no method ${name}`)
    out[name] = (method as (...a: unknown[]) => unknown).bind(core)
  }
  return out as BridgeMethods
}
