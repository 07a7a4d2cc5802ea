/**
 * The bridge's main-process side: one `ipcMain.handle` per channel of `bridgeChannels`. Each handler, in order:
 * 1. refuses a sender that is not the app's own top-level page (`event.senderFrame.url` on `app://flashback/`);
 * 2. refuses a payload larger than BRIDGE_MAX_BODY_BYTES or not matching the channel's schema (`checkBridgeArgs`);
 * 3. only then calls the implementation, and returns its result.
 * Failures cross IPC as `new Error(encodeBridgeError(body))`: Electron keeps only an error's message, the preload
 * and the UI recover `{ error, message, field? }` from it with `toBridgeError`.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import {
  BRIDGE_IPC_EVENT,
  BRIDGE_MAX_BODY_BYTES,
  BridgeError,
  bridgeChannelNames,
  bridgeIpcChannel,
  checkBridgeArgs,
  encodeBridgeError,
  ErrorCode,
  type BridgeChannelName,
  type BridgeErrorBody,
  type BridgeEvent,
  type BridgeMethods,
  type BridgeResult,
} from '@flashback/protocol'
import { isAppUrl } from './security.js'
import { type Logger } from '@flashback/peer'

/** What a handler needs of the event: the frame that sent it (null once the frame is gone). */
export type BridgeInvokeEvent = Pick<IpcMainInvokeEvent, 'senderFrame'>

/** Our page is the top-level frame of a window loaded from `app://flashback/`; nothing else may call the bridge. */
export function isTrustedSender(event: BridgeInvokeEvent): boolean {
  const frame = event.senderFrame
  if (!frame) return false
  let url: string
  let parent: unknown
  try {
    url = frame.url
    parent = frame.parent
  } catch {
    // A destroyed frame throws on access.
    return false
  }
  return parent === null && isAppUrl(url)
}

/** The size of a payload as JSON, or Infinity when it is not JSON at all (cycles, BigInt...). */
export function payloadBytes(value: unknown): number {
  if (value === undefined) return 0
  try {
    const text = JSON.stringify(value)
    return text === undefined ? Infinity : Buffer.byteLength(text)
  } catch {
    return Infinity
  }
}

/** Anything thrown → the body that crosses the bridge. Runtime errors keep their `code`; unknown failures say less. */
export function bridgeErrorBody(thrown: unknown): BridgeErrorBody {
  if (thrown instanceof BridgeError) return thrown.toJSON()
  if (thrown instanceof Error) {
    const { code, field } = thrown as Error & { code?: unknown; field?: unknown }
    const body: BridgeErrorBody = {
      error: typeof code === 'string' && /^[a-z][a-z0-9_]{0,63}$/.test(code) ? code : ErrorCode.internal,
      message: (thrown.message || 'Something went wrong.').slice(0, 2000),
    }
    if (typeof field === 'string' && field.length <= 64) body.field = field
    return body
  }
  return { error: ErrorCode.internal, message: 'Something went wrong.' }
}

/** The error a handler throws so that Electron carries the body to the renderer in its message. */
export function ipcError(thrown: unknown): Error {
  return new Error(encodeBridgeError(bridgeErrorBody(thrown)))
}

export class UntrustedSenderError extends BridgeError {
  constructor() {
    super(ErrorCode.forbidden, 'This page may not use the Flashback bridge.')
  }
}

export interface BridgeHandlerOptions {
  log: Logger
}

/** The handler of one channel (exported so tests call it exactly as ipcMain would). */
export function createBridgeHandler<N extends BridgeChannelName>(
  name: N,
  api: BridgeMethods,
  options: BridgeHandlerOptions,
): (event: BridgeInvokeEvent, arg?: unknown) => Promise<BridgeResult<N>> {
  return async (event, arg) => {
    if (!isTrustedSender(event)) {
      let url = '(no frame)'
      try {
        url = String(event.senderFrame?.url ?? url).slice(0, 200)
      } catch {
        // destroyed frame
      }
      options.log.warn({ channel: name, url }, 'refused a bridge call from a foreign frame')
      throw ipcError(new UntrustedSenderError())
    }
    try {
      if (payloadBytes(arg) > BRIDGE_MAX_BODY_BYTES) {
        throw new BridgeError(ErrorCode.payloadTooLarge, `${name}: the request is larger than ${BRIDGE_MAX_BODY_BYTES} bytes.`)
      }
      const args = checkBridgeArgs(name, arg)
      const method = api[name] as (a: typeof args) => Promise<BridgeResult<N>>
      return await method.call(api, args)
    } catch (err) {
      const body = bridgeErrorBody(err)
      if (body.error === ErrorCode.internal) options.log.error({ channel: name, err }, 'a bridge call failed')
      else options.log.debug({ channel: name, error: body.error }, 'a bridge call was refused')
      // No `cause`: Electron sends only the message, and the cause may hold details the renderer must not see.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(encodeBridgeError(body))
    }
  }
}

/** Registers every channel's handler; returns the function that removes them again. */
export function registerBridgeHandlers(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  api: BridgeMethods,
  options: BridgeHandlerOptions,
): () => void {
  for (const name of bridgeChannelNames) {
    ipcMain.handle(bridgeIpcChannel(name), createBridgeHandler(name, api, options))
  }
  return () => {
    for (const name of bridgeChannelNames) ipcMain.removeHandler(bridgeIpcChannel(name))
  }
}

export type EventTarget = Pick<WebContents, 'send' | 'isDestroyed' | 'getURL'>

/**
 * Sends the runtime's events to the app's pages (only those showing `app://flashback/`, never another page that
 * might have been loaded in a window by mistake). Returns the unsubscribe function of the source.
 */
export function forwardBridgeEvents(
  subscribe: (listener: (event: BridgeEvent) => void) => () => void,
  targets: () => Iterable<EventTarget>,
  log?: Logger,
): () => void {
  return subscribe((event) => {
    for (const contents of targets()) {
      try {
        if (contents.isDestroyed() || !isAppUrl(contents.getURL())) continue
        contents.send(BRIDGE_IPC_EVENT, event)
      } catch (err) {
        log?.warn({ err: String(err) }, 'an event could not be sent to the window')
      }
    }
  })
}
