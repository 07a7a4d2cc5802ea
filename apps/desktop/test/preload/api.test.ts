import t from 'tap'
import { EventEmitter } from 'node:events'
import {
  BRIDGE_IPC_EVENT,
  BridgeError,
  bridgeChannelNames,
  bridgeIpcChannel,
  electronRemoteFileUrl,
  encodeBridgeError,
  toBridgeError,
  type BridgeEvent,
  type FlashbackApi,
} from '@flashback/protocol'
import { createPreloadApi, rendererError } from '../../src/preload/api.ts'
import { sampleStatus } from '../fakes.ts'

/** ipcRenderer as the preload sees it: invoke records, events come from `emit`. */
class FakeIpcRenderer extends EventEmitter {
  invoked: Array<{ channel: string; arg: unknown }> = []
  reply: (channel: string, arg: unknown) => Promise<unknown> = async (channel) => ({ channel })
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invoked.push({ channel, arg: args[0] })
    return this.reply(channel, args[0])
  }
}

const expectedKeys = [...bridgeChannelNames, 'subscribe', 'remoteFileUrl'].sort()

t.test('window.flashback has exactly one function per channel, plus subscribe and remoteFileUrl', async (t) => {
  const ipc = new FakeIpcRenderer()
  const api = createPreloadApi(ipc as never)
  t.same(Object.keys(api).sort(), expectedKeys, 'no more and no fewer members than FlashbackApi')
  for (const [key, value] of Object.entries(api)) {
    t.equal(typeof value, 'function', `${key} is a function`)
    t.not(value, ipc, `${key} is not ipcRenderer`)
  }
  t.notOk(Object.values(api).some((v) => v === ipc.invoke || v === ipc.on || v === ipc.emit), "none of ipcRenderer's own functions is exposed")
})

t.test('each method invokes its own channel with its argument', async (t) => {
  const ipc = new FakeIpcRenderer()
  const api = createPreloadApi(ipc as never) as unknown as Record<string, (arg?: unknown) => Promise<unknown>>
  for (const name of bridgeChannelNames) {
    const arg = { probe: name }
    const result = await api[name]!(arg)
    t.same(ipc.invoked.at(-1), { channel: bridgeIpcChannel(name), arg }, `${name} → invoke('${bridgeIpcChannel(name)}', arg)`)
    t.same(result, { channel: bridgeIpcChannel(name) }, `${name} resolves with main's answer`)
  }
  await api['getStatus']!()
  t.same(ipc.invoked.at(-1), { channel: 'flashback:getStatus', arg: {} }, 'a call without argument sends {}')
  t.equal(ipc.invoked.length, bridgeChannelNames.length + 1, 'one invoke per call, nothing else')
})

t.test("main's encoded errors reach the renderer decodable", async (t) => {
  const ipc = new FakeIpcRenderer()
  const api = createPreloadApi(ipc as never)
  const body = { error: 'validation_failed', message: 'addFriend: /email: must match format "email"', field: 'email' }
  // What Electron rejects invoke() with: its wrapper around main's message.
  ipc.reply = async (channel) => {
    throw new Error(`Error invoking remote method '${channel}': Error: ${encodeBridgeError(body)}`)
  }
  const err = await api.addFriend({ email: 'x@y.zz' }).catch((e: unknown) => e)
  t.ok(err instanceof Error, 'the promise rejects with an Error (it crosses the context bridge with its message)')
  const decoded = toBridgeError(err)
  t.equal(decoded.code, 'validation_failed', 'the code is recovered')
  t.equal(decoded.field, 'email', 'the field is recovered')
  t.equal(decoded.message, body.message, 'the message is recovered without Electron\'s wrapper')
  t.notMatch((err as Error).message, /Error invoking remote method/, "Electron's wrapper text is gone")

  ipc.reply = async () => {
    throw new Error('something unrelated')
  }
  const other = toBridgeError(await api.getStatus().catch((e: unknown) => e))
  t.equal(other.code, 'internal_error', 'a foreign error becomes internal_error')
  t.equal(toBridgeError(rendererError(new BridgeError('unreachable', 'gone'))).code, 'unreachable', 'rendererError keeps a BridgeError')
})

t.test('subscribe wraps the event channel, passes only the event, and unsubscribes', async (t) => {
  const ipc = new FakeIpcRenderer()
  const api: FlashbackApi = createPreloadApi(ipc as never)
  const seenA: unknown[][] = []
  const seenB: unknown[][] = []
  const offA = api.subscribe((...args: unknown[]) => seenA.push(args))
  const offB = api.subscribe((...args: unknown[]) => seenB.push(args))
  t.equal(ipc.listenerCount(BRIDGE_IPC_EVENT), 1, 'one IPC listener for any number of subscribers')
  const event: BridgeEvent = { type: 'status', status: sampleStatus }
  const ipcEvent = { sender: ipc, ports: [] }
  ipc.emit(BRIDGE_IPC_EVENT, ipcEvent, event)
  t.same(seenA, [[event]], 'the listener gets the event and nothing else (never the IPC event and its sender)')
  t.same(seenB, [[event]], 'every subscriber gets it')
  offA()
  offA()
  ipc.emit(BRIDGE_IPC_EVENT, ipcEvent, event)
  t.equal(seenA.length, 1, 'an unsubscribed listener gets nothing more (and unsubscribing twice is harmless)')
  t.equal(seenB.length, 2, 'the other still does')
  t.equal(ipc.listenerCount(BRIDGE_IPC_EVENT), 1, 'the IPC listener stays while someone listens')
  offB()
  t.equal(ipc.listenerCount(BRIDGE_IPC_EVENT), 0, 'the IPC listener is removed with the last subscriber')

  const failing = api.subscribe(() => {
    throw new Error('listener bug')
  })
  const seenC: unknown[] = []
  const offC = api.subscribe((e) => seenC.push(e))
  const consoleError = console.error
  console.error = () => {}
  try {
    ipc.emit(BRIDGE_IPC_EVENT, ipcEvent, event)
  } finally {
    console.error = consoleError
  }
  t.same(seenC, [event], 'a throwing listener does not stop the others')
  ipc.emit(BRIDGE_IPC_EVENT, ipcEvent, 'not an event')
  t.equal(seenC.length, 1, 'a non-object payload is not delivered')
  failing()
  offC()
  t.throws(() => api.subscribe('nope' as never), TypeError, 'subscribe refuses a non-function')
})

t.test('remoteFileUrl builds flashback:// URLs', async (t) => {
  const api = createPreloadApi(new FakeIpcRenderer() as never)
  t.equal(api.remoteFileUrl('bob@example.com', 'films/a b.mp4'), 'flashback://peer/bob%40example.com/films/a%20b.mp4', 'each part percent-encoded once')
  t.equal(api.remoteFileUrl('bob@example.com', 'x.png'), electronRemoteFileUrl('bob@example.com', 'x.png'), 'the protocol helper decides the shape')
})

t.test('the preload entry exposes window.flashback and nothing else', async (t) => {
  const exposed: Array<{ key: string; value: unknown }> = []
  const ipcRenderer = new FakeIpcRenderer()
  await t.mockImport('../../src/preload/index.ts', {
    electron: {
      contextBridge: {
        exposeInMainWorld: (key: string, value: unknown) => exposed.push({ key, value }),
      },
      ipcRenderer,
    },
  })
  t.equal(exposed.length, 1, 'exactly one thing is exposed')
  t.equal(exposed[0]!.key, 'flashback', 'as window.flashback')
  const value = exposed[0]!.value as Record<string, unknown>
  t.same(Object.keys(value).sort(), expectedKeys, 'with the FlashbackApi members only')
  const reachable = new Set<unknown>()
  const walk = (v: unknown, depth: number) => {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || reachable.has(v) || depth > 3) return
    reachable.add(v)
    for (const key of Object.keys(v as object)) walk((v as Record<string, unknown>)[key], depth + 1)
  }
  walk(value, 0)
  t.notOk(reachable.has(ipcRenderer), 'ipcRenderer is not reachable from window.flashback')
})
