/**
 * `window.flashback` for the Electron renderer: one narrow method per bridge channel, each an
 * `ipcRenderer.invoke('flashback:<name>', arg)`, plus `subscribe` over the `flashback:event` channel and
 * `remoteFileUrl` building `flashback://peer/<email>/<path>`. The renderer never gets `ipcRenderer`, an IPC event
 * object (its `sender` is the ipcRenderer) or any way to name a channel itself.
 *
 * Errors: main throws `Error(encodeBridgeError(body))`; Electron wraps the message ("Error invoking remote method
 * ...") and the context bridge copies only an Error's message across worlds, so the preload rejects with an Error
 * whose message is the encoded body again (`toBridgeError` in the UI recovers code, message and field from it).
 */
import type { IpcRenderer, IpcRendererEvent } from 'electron'
import {
  BRIDGE_IPC_EVENT,
  bridgeIpcChannel,
  bridgeMethodsFrom,
  electronRemoteFileUrl,
  encodeBridgeError,
  toBridgeError,
  type BridgeChannelName,
  type BridgeEvent,
  type BridgeListener,
  type BridgeResult,
  type FlashbackApi,
} from '@flashback/protocol'

export type PreloadIpc = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>

/** The error the renderer sees: a plain Error carrying the encoded body (it survives the context bridge). */
export function rendererError(thrown: unknown): Error {
  const bridgeError = toBridgeError(thrown)
  const error = new Error(encodeBridgeError(bridgeError.toJSON()))
  error.name = 'BridgeError'
  return error
}

export function createPreloadApi(ipc: PreloadIpc): FlashbackApi {
  const call =
    <N extends BridgeChannelName>(name: N) =>
    async (args?: unknown): Promise<BridgeResult<N>> => {
      try {
        return (await ipc.invoke(bridgeIpcChannel(name), args ?? {})) as BridgeResult<N>
      } catch (err) {
        throw rendererError(err)
      }
    }

  // One IPC listener for any number of subscribers; added with the first, removed with the last.
  const listeners = new Set<BridgeListener>()
  const onIpcEvent = (_event: IpcRendererEvent, payload: unknown) => {
    if (typeof payload !== 'object' || payload === null) return
    for (const listener of [...listeners]) {
      try {
        listener(payload as BridgeEvent)
      } catch (err) {
        console.error('a flashback event listener failed', err)
      }
    }
  }

  const api = {
    ...bridgeMethodsFrom(call),

    subscribe(listener: BridgeListener): () => void {
      if (typeof listener !== 'function') throw new TypeError('subscribe needs a function')
      if (listeners.size === 0) ipc.on(BRIDGE_IPC_EVENT, onIpcEvent)
      listeners.add(listener)
      let active = true
      return () => {
        if (!active) return
        active = false
        listeners.delete(listener)
        if (listeners.size === 0) ipc.removeListener(BRIDGE_IPC_EVENT, onIpcEvent)
      }
    },

    remoteFileUrl(email: string, path: string): string {
      return electronRemoteFileUrl(String(email), String(path))
    },
  } satisfies FlashbackApi

  return api
}
