import t from 'tap'
import {
  BRIDGE_IPC_EVENT,
  BRIDGE_MAX_BODY_BYTES,
  BridgeError,
  bridgeChannelNames,
  bridgeIpcChannel,
  toBridgeError,
  type BridgeEvent,
} from '@flashback/protocol'
import {
  bridgeErrorBody,
  createBridgeHandler,
  forwardBridgeEvents,
  isTrustedSender,
  payloadBytes,
  registerBridgeHandlers,
} from '../../src/main/ipc.ts'
import { FakeIpcMain, FakeWebContents, fakeCore, invokeEvent, recordingLogger, sampleStatus } from '../fakes.ts'

const APP_PAGE = 'app://flashback/index.html#/peers'

t.test('isTrustedSender accepts only the top frame of the app page', async (t) => {
  const cases: Array<[string, unknown, boolean]> = [
    [APP_PAGE, { url: APP_PAGE, parent: null }, true],
    ['the app root', { url: 'app://flashback/', parent: null }, true],
    ['a sub-frame of the app', { url: APP_PAGE, parent: { url: APP_PAGE } }, false],
    ['an https page', { url: 'https://evil.example/', parent: null }, false],
    ['a file: page', { url: 'file:///home/ada/index.html', parent: null }, false],
    ['another app host', { url: 'app://evil/index.html', parent: null }, false],
    ['a look-alike host', { url: 'app://flashback.evil/index.html', parent: null }, false],
    ['credentials in the URL', { url: 'app://user:pw@flashback/index.html', parent: null }, false],
    ['a peer file', { url: 'flashback://peer/bob%40example.com/x.html', parent: null }, false],
    ['about:blank', { url: 'about:blank', parent: null }, false],
    ['an empty URL', { url: '', parent: null }, false],
  ]
  for (const [name, frame, expected] of cases) {
    t.equal(isTrustedSender({ senderFrame: frame } as never), expected, `${name}: ${expected ? 'trusted' : 'refused'}`)
  }
  t.equal(isTrustedSender({ senderFrame: null }), false, 'a message whose frame is gone is refused')
  const destroyed = {
    get url(): string {
      throw new Error('Render frame was disposed before WebFrameMain could be accessed')
    },
    parent: null,
  }
  t.equal(isTrustedSender({ senderFrame: destroyed } as never), false, 'a destroyed frame (throwing getter) is refused')
})

t.test('a call from a foreign origin is refused before anything runs', async (t) => {
  const core = fakeCore()
  const log = recordingLogger()
  const handler = createBridgeHandler('getStatus', core, { log })
  for (const url of ['https://evil.example/', 'file:///tmp/x.html', 'app://other/index.html']) {
    const err = await handler(invokeEvent(url), {}).then(
      () => null,
      (e: unknown) => e,
    )
    t.ok(err instanceof Error, `${url}: the call rejects`)
    const decoded = toBridgeError(err)
    t.equal(decoded.code, 'forbidden', `${url}: the renderer can read the refusal's code`)
  }
  t.equal(core.calls.length, 0, 'the implementation was never called for a foreign sender')
  t.ok(log.entries.some((e) => e.level === 'warn' && e.msg?.includes('foreign frame')), 'the refusal is logged')
})

t.test('a call from the app page reaches the implementation with the validated argument', async (t) => {
  const core = fakeCore()
  const handler = createBridgeHandler('listRemoteFiles', core, { log: recordingLogger() })
  const result = await handler(invokeEvent(APP_PAGE), { email: 'bob@example.com', path: 'notes', limit: 100 })
  t.same(result, core.results.listRemoteFiles, 'the implementation result is returned as is')
  t.same(core.calls, [{ name: 'listRemoteFiles', args: { email: 'bob@example.com', path: 'notes', limit: 100 } }], 'called once with the argument')

  const noArg = createBridgeHandler('getStatus', core, { log: recordingLogger() })
  t.same(await noArg(invokeEvent(APP_PAGE)), sampleStatus, 'a method without argument may be called with none')
  t.same(core.calls.at(-1), { name: 'getStatus', args: {} }, 'a missing argument is passed as {}')
})

t.test('the registry channels are handled like every other: search by name or hash, publishing on and off', async (t) => {
  const core = fakeCore()
  const search = createBridgeHandler('searchFiles', core, { log: recordingLogger() })
  t.same(await search(invokeEvent(APP_PAGE), { name: 'holiday', limit: 20 }), core.results.searchFiles, 'a name search reaches the runtime')
  await search(invokeEvent(APP_PAGE), { sha256: 'AB'.repeat(32), cursor: 'next' })
  t.same(core.calls.map((c) => [c.name, c.args]), [['searchFiles', { name: 'holiday', limit: 20 }], ['searchFiles', { sha256: 'AB'.repeat(32), cursor: 'next' }]], 'and a hash search with its cursor, as given')
  const publish = createBridgeHandler('setPublishing', core, { log: recordingLogger() })
  t.same(await publish(invokeEvent(APP_PAGE), { enabled: true }), core.results.setPublishing, 'the publishing switch reaches the runtime')
  const refused = await search(invokeEvent('https://evil.example/'), { name: 'holiday' }).then(() => null, (e: unknown) => e)
  t.ok(refused, 'a foreign page cannot search')
})

t.test('a bad payload is refused before the implementation is called', async (t) => {
  const core = fakeCore()
  const cases: Array<[string, string, unknown, string | undefined]> = [
    ['listRemoteFiles without email', 'listRemoteFiles', { path: '' }, undefined],
    ['an invalid e-mail', 'addFriend', { email: 'not-an-email' }, 'email'],
    ['a traversal path', 'readRemoteText', { email: 'bob@example.com', path: '../etc/passwd' }, 'path'],
    ['an absolute path', 'startDownload', { email: 'bob@example.com', path: '/etc/passwd' }, 'path'],
    ['an unknown property', 'getStatus', { extra: 1 }, undefined],
    ['a javascript: URL', 'openExternal', { url: 'javascript:alert(1)' }, 'url'],
    ['a string instead of an object', 'listPeers', 'refresh', undefined],
    ['a download id with slashes', 'cancelDownload', { id: '../x' }, 'id'],
    ['settings missing most fields', 'setSettings', { email: 'a@b.co' }, undefined],
    ['a one-character search', 'searchFiles', { name: 'x' }, undefined],
    ['a search by name and hash at once', 'searchFiles', { name: 'holiday', sha256: 'ab'.repeat(32) }, undefined],
    ['a hash that is not hex', 'searchFiles', { sha256: 'zz'.repeat(32) }, undefined],
    ['publishing switched with a string', 'setPublishing', { enabled: 'yes' }, 'enabled'],
  ]
  for (const [name, channel, payload, field] of cases) {
    const handler = createBridgeHandler(channel as 'getStatus', core, { log: recordingLogger() })
    const err = await handler(invokeEvent(APP_PAGE), payload).then(
      () => null,
      (e: unknown) => e,
    )
    const decoded = toBridgeError(err)
    t.equal(decoded.code, 'validation_failed', `${name}: refused as validation_failed`)
    if (field) t.equal(decoded.field, field, `${name}: the field at fault is named (${field})`)
  }
  t.equal(core.calls.length, 0, 'no bad payload reached the implementation')
})

t.test('an oversized payload is refused without being validated or used', async (t) => {
  const core = fakeCore()
  const handler = createBridgeHandler('listPeers', core, { log: recordingLogger() })
  const huge = { refresh: true, padding: 'x'.repeat(BRIDGE_MAX_BODY_BYTES) }
  const decoded = toBridgeError(await handler(invokeEvent(APP_PAGE), huge).catch((e: unknown) => e))
  t.equal(decoded.code, 'payload_too_large', 'more than BRIDGE_MAX_BODY_BYTES is payload_too_large')
  const cyclic: Record<string, unknown> = {}
  cyclic['self'] = cyclic
  t.equal(payloadBytes(cyclic), Infinity, 'a payload that is not JSON counts as too large')
  t.equal(payloadBytes(undefined), 0, 'no payload is empty')
  t.equal(core.calls.length, 0, 'the implementation was not called')
})

t.test('errors cross IPC in the encoded form the renderer decodes', async (t) => {
  const core = fakeCore()
  const log = recordingLogger()
  const handler = createBridgeHandler('listRemoteFiles', core, { log })
  const arg = { email: 'bob@example.com', path: '' }

  core.failures.listRemoteFiles = new BridgeError('unreachable', 'bob@example.com is not reachable')
  const wrapped = await handler(invokeEvent(APP_PAGE), arg).catch((e: unknown) => e)
  t.ok(wrapped instanceof Error, 'the handler rejects with an Error (what ipcMain.handle needs)')
  // What Electron hands the renderer: its own wrapper text around our message.
  const inRenderer = new Error(`Error invoking remote method 'flashback:listRemoteFiles': ${String(wrapped)}`)
  const decoded = toBridgeError(inRenderer)
  t.equal(decoded.code, 'unreachable', 'the code survives Electron wrapping the message')
  t.equal(decoded.message, 'bob@example.com is not reachable', 'the message survives too')

  const runtimeError = Object.assign(new Error('bob@example.com is not online'), { code: 'peer_offline' })
  core.failures.listRemoteFiles = runtimeError
  t.equal(toBridgeError(await handler(invokeEvent(APP_PAGE), arg).catch((e: unknown) => e)).code, 'peer_offline', "a runtime error's code is kept")

  core.failures.listRemoteFiles = new TypeError('boom')
  const internal = toBridgeError(await handler(invokeEvent(APP_PAGE), arg).catch((e: unknown) => e))
  t.equal(internal.code, 'internal_error', 'an unexpected failure is internal_error')
  t.ok(log.entries.some((e) => e.level === 'error'), 'an unexpected failure is logged as an error')

  core.failures.listRemoteFiles = 'a thrown string'
  t.equal(toBridgeError(await handler(invokeEvent(APP_PAGE), arg).catch((e: unknown) => e)).code, 'internal_error', 'a thrown non-Error is internal_error')

  t.same(bridgeErrorBody(new BridgeError('validation_failed', 'bad', 'email')), { error: 'validation_failed', message: 'bad', field: 'email' }, 'the field of a validation error is kept')
  t.equal(bridgeErrorBody(Object.assign(new Error('x'), { code: 'Not A Code!' })).error, 'internal_error', 'a code that is not snake_case is not trusted')
})

t.test('registerBridgeHandlers registers exactly one handler per channel, and removes them', async (t) => {
  const ipcMain = new FakeIpcMain()
  const dispose = registerBridgeHandlers(ipcMain as never, fakeCore(), { log: recordingLogger() })
  t.same([...ipcMain.handlers.keys()].sort(), bridgeChannelNames.map(bridgeIpcChannel).sort(), 'one flashback:<name> handler per channel, no other')
  t.equal(ipcMain.handlers.size, bridgeChannelNames.length, 'no channel registered twice')
  const result = await ipcMain.handlers.get(bridgeIpcChannel('getStatus'))!(invokeEvent(APP_PAGE))
  t.same(result, sampleStatus, 'a registered handler answers')
  dispose()
  t.equal(ipcMain.handlers.size, 0, 'disposing removes every handler')
})

t.test('forwardBridgeEvents sends events only to live app pages', async (t) => {
  const core = fakeCore()
  const app = new FakeWebContents()
  app.url = APP_PAGE
  const foreign = new FakeWebContents()
  foreign.url = 'https://evil.example/'
  const gone = new FakeWebContents()
  gone.url = APP_PAGE
  gone.destroyed = true
  const unsubscribe = forwardBridgeEvents((l) => core.subscribe(l), () => [app, foreign, gone])
  const event: BridgeEvent = { type: 'status', status: sampleStatus }
  core.emit(event)
  t.same(app.sent, [{ channel: BRIDGE_IPC_EVENT, payload: event }], 'the app page gets the event on flashback:event')
  t.same(foreign.sent, [], 'a foreign page gets nothing')
  t.same(gone.sent, [], 'a destroyed page gets nothing')
  unsubscribe()
  core.emit(event)
  t.equal(app.sent.length, 1, 'after unsubscribing, nothing more is sent')
  t.equal(core.listeners.size, 0, 'the runtime listener is removed')
})
