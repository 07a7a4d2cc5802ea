import t from 'tap'
import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  BridgeError,
  checkBridgeResult,
  type BridgeChannelName,
  type BridgeEvent,
  type Download,
} from '@flashback/protocol'
import { createPeerRuntime } from '../../src/runtime/index.js'
import { createRuntimeBridge, type BridgeShellHooks, type RuntimeBridge } from '../../src/bridge/index.js'
import { makePeer, patternBytes, startTestTracker, waitFor, type TapTest } from '../runtime/helper.js'

const WEB: BridgeShellHooks = { mode: 'web', version: '0.1.0-test' }

function bridgeFor(t: TapTest, runtime: Parameters<typeof createRuntimeBridge>[0], shell: BridgeShellHooks = WEB, options: Parameters<typeof createRuntimeBridge>[2] = {}) {
  const bridge = createRuntimeBridge(runtime, shell, options)
  const events: BridgeEvent[] = []
  const off = bridge.subscribe((e) => events.push(e))
  t.teardown(() => {
    off()
    bridge.close()
  })
  return { bridge, events }
}

/** The BridgeError a call rejects with (fails the test when it resolves). */
async function failure(t: TapTest, promise: Promise<unknown>, what: string): Promise<BridgeError> {
  try {
    await promise
  } catch (err) {
    t.ok(err instanceof BridgeError, `${what}: rejects with a BridgeError`)
    return err as BridgeError
  }
  t.fail(`${what}: should have been refused`)
  return new BridgeError('none', 'none')
}

/** Calls a method and checks its result against the channel's result schema. */
async function call<N extends BridgeChannelName>(t: TapTest, bridge: RuntimeBridge, name: N, args?: unknown) {
  const result = await (bridge[name] as (a?: unknown) => Promise<unknown>)(args)
  t.ok(checkBridgeResult(name, result), `${name}'s result matches its schema`)
  return result as Awaited<ReturnType<RuntimeBridge[N]>>
}

t.test('an unconfigured runtime: setup through the bridge starts the peer at the tracker', async (t) => {
  const tracker = await startTestTracker(t)
  const base = t.testdir({ share: { 'hello.txt': 'hi' }, 'not-a-folder.txt': 'x' })
  const runtime = await createPeerRuntime({ profileDir: join(base, 'profile'), timing: { backoffBaseMs: 50, backoffMaxMs: 400 } })
  t.teardown(() => runtime.stop())
  const { bridge, events } = bridgeFor(t, runtime)

  const before = await call(t, bridge, 'getSettings')
  t.equal(before.settings, null, 'no settings before the first-run setup')
  t.match(before.defaults, { bindAll: false, access: 'open' }, 'defaults suggest loopback and open access')
  t.equal((await call(t, bridge, 'getStatus')).registration, 'unconfigured', 'the status says setup is needed')
  t.equal((await failure(t, bridge.listPeers({}), 'peers before setup')).code, 'not_configured', 'peers need the setup first')

  const good = {
    email: 'carol@example.com',
    shareRoot: join(base, 'share'),
    trackerUrl: tracker.url,
    trackerFingerprint: tracker.fingerprint,
    bindAll: false,
    access: 'open' as const,
  }
  const badEmail = await failure(t, bridge.setSettings({ ...good, email: 'not-an-email' }), 'a bad e-mail')
  t.match(badEmail, { code: 'validation_failed', field: 'email' }, 'a bad e-mail is refused by the schema, naming the field')
  const missing = await failure(t, bridge.setSettings({ ...good, shareRoot: join(base, 'missing') }), 'a missing folder')
  t.match(missing, { code: 'validation_failed', field: 'shareRoot' }, 'a folder that does not exist is refused')
  t.match(missing.message, /does not exist/, 'in words a person understands')
  const file = await failure(t, bridge.setSettings({ ...good, shareRoot: join(base, 'not-a-folder.txt') }), 'a file as share')
  t.match(file, { code: 'validation_failed', field: 'shareRoot' }, 'a file is not a folder to share')
  const bindOpen = await failure(t, bridge.setSettings({ ...good, bindAll: true }), 'bindAll with open access')
  t.match(bindOpen, { code: 'validation_failed', field: 'access' }, 'open access on every interface is refused')
  t.equal(runtime.configured, false, 'nothing was saved by refused attempts')

  const saved = await call(t, bridge, 'setSettings', good)
  t.same(saved.settings, good, 'the settings are saved as given')
  t.equal(saved.status.registration, 'registered', 'saving started the peer and it registered')
  t.equal(saved.status.broadcasting, true, 'and broadcasts')
  t.ok(saved.status.server && saved.status.server.port > 0, 'the status shows the local server')
  t.equal(saved.status.email, 'carol@example.com', 'the status names the new e-mail')
  t.match(saved.status.fingerprint, /^[0-9a-f]{64}$/, 'and its certificate fingerprint')
  t.ok(runtime.running, 'the runtime runs')
  t.ok(events.some((e) => e.type === 'settings' && e.settings.email === 'carol@example.com'), 'a settings event went out')
  t.ok(events.some((e) => e.type === 'status' && e.status.registration === 'registered'), 'status events follow the registration')

  const mine = await call(t, bridge, 'listMyFiles', { path: '' })
  t.ok(mine.entries.some((e) => e.name === 'hello.txt'), 'my house shows my share as visitors see it')

  const port = runtime.status().server?.port
  const again = await call(t, bridge, 'setSettings', good)
  t.equal(again.status.server?.port, port, 'saving the same settings again does not restart the peer')
})

t.test('two peers: browse, read, download, friends and status through the bridge', async (t) => {
  const tracker = await startTestTracker(t)
  const payload = patternBytes(300_000, 7)
  const base = t.testdir()
  const alice = await makePeer(t, tracker, 'alice@example.com', { base, files: { 'data/blob.bin': payload, 'readme.txt': 'plain text\n' }, timing: { friendCheckIntervalMs: 200 } })
  const bob = await makePeer(t, tracker, 'bob@example.com', { base, timing: { friendCheckIntervalMs: 200 } })
  const downloads = join(base, 'downloads')
  await mkdir(downloads)
  await bob.runtime.updateSettings({ downloadDir: downloads })
  await alice.runtime.start({ requireTracker: true })
  await bob.runtime.start({ requireTracker: true })
  const { bridge, events } = bridgeFor(t, bob.runtime, WEB, { peersRefreshIntervalMs: 200, peersMaxAgeMs: 0 })

  const info = await call(t, bridge, 'getInfo')
  t.same(info, { mode: 'web', version: '0.1.0-test', canChooseFolder: false, canReveal: false, downloadsFolder: downloads }, 'web mode can neither pick folders nor reveal files')

  const peers = await call(t, bridge, 'listPeers', {})
  t.same(peers.peers.map((p) => [p.email, p.status, p.friend]), [['alice@example.com', 'online', false]], 'bob sees alice online, and not himself')
  t.equal(peers.trackerError, undefined, 'the tracker answered')

  const root = await call(t, bridge, 'listRemoteFiles', { email: 'alice@example.com', path: '' })
  t.same(root.entries.map((e) => e.name), ['data', 'notes', 'index.md', 'readme.txt'], "alice's root: folders first, then files")
  const notes = await call(t, bridge, 'listRemoteFiles', { email: 'alice@example.com', path: 'notes' })
  t.same(notes.entries.map((e) => e.path), ['notes/plan.md'], 'a sub-folder lists with share paths')
  t.equal((await failure(t, bridge.listRemoteFiles({ email: 'alice@example.com', path: 'index.md' }), 'listing a file')).code, 'not_a_directory', 'listing a file says so (the UI then previews it)')
  t.equal((await failure(t, bridge.listRemoteFiles({ email: 'alice@example.com', path: 'nope' }), 'a missing folder')).code, 'not_found', 'a missing folder is not_found')

  const text = await call(t, bridge, 'readRemoteText', { email: 'alice@example.com', path: 'notes/plan.md' })
  t.match(text, { path: 'notes/plan.md', mime: 'text/markdown', text: /# Plan/ }, 'a markdown file reads as text with its type')
  t.equal(text.size, Buffer.byteLength(text.text), 'the size is the byte count')
  t.equal((await failure(t, bridge.readRemoteText({ email: 'alice@example.com', path: 'data/blob.bin' }), 'text of a binary')).code, 'not_text', 'a binary file is not_text')

  const bad = await failure(t, bridge.readRemoteText({ email: 'alice@example.com', path: '../etc/passwd' }), 'a hostile path')
  t.equal(bad.code, 'validation_failed', 'a path with .. never reaches the network')
  t.equal((await failure(t, (bridge.listRemoteFiles as (a: unknown) => Promise<unknown>)({ email: 'alice@example.com', path: '', extra: 1 }), 'unknown fields')).code, 'validation_failed', 'unknown fields are refused')

  // Downloads: events with progress, the file on disk, state rules.
  const started = await call(t, bridge, 'startDownload', { email: 'alice@example.com', path: 'data/blob.bin' })
  t.match(started, { name: 'blob.bin', state: 'running', email: 'alice@example.com', file: join(downloads, 'blob.bin') }, 'a download starts into the downloads folder')
  await waitFor(() => events.some((e) => e.type === 'download' && e.download.id === started.id && e.download.state === 'completed'), 20_000, 'the download to complete')
  const done = events.filter((e): e is Extract<BridgeEvent, { type: 'download' }> => e.type === 'download' && e.download.id === started.id).at(-1)?.download as Download
  t.match(done, { state: 'completed', received: payload.length, total: payload.length }, 'the completed event carries the size')
  t.ok((await readFile(join(downloads, 'blob.bin'))).equals(payload), 'the downloaded bytes are identical')
  const listed = await call(t, bridge, 'listDownloads')
  t.same(listed.downloads.map((d) => [d.id, d.state]), [[started.id, 'completed']], 'the download is listed')
  t.equal((await failure(t, bridge.cancelDownload({ id: started.id }), 'cancel a finished download')).code, 'invalid_state', 'a completed download cannot be cancelled')
  t.equal((await failure(t, bridge.resumeDownload({ id: started.id }), 'resume a finished download')).code, 'invalid_state', 'nor resumed')
  t.equal((await failure(t, bridge.cancelDownload({ id: 'nope' }), 'an unknown id')).code, 'invalid_state', 'an unknown download id is refused')
  const reveal = await failure(t, bridge.revealDownload({ id: started.id }), 'reveal in web mode')
  t.equal(reveal.code, 'unsupported', 'web mode cannot reveal a file…')
  t.match(reveal.message, join(downloads, 'blob.bin'), '…and says where the file is instead')
  t.equal((await failure(t, bridge.chooseShareFolder(), 'folder picker in web mode')).code, 'unsupported', 'web mode has no folder picker')
  t.same(await bridge.openExternal({ url: 'https://example.com/' }), { opened: false }, 'web mode leaves outside links to the page')

  // Friends: alice becomes a friend, is health-checked, and shows offline once she stops.
  t.equal((await failure(t, bridge.addFriend({ email: 'bob@example.com' }), 'befriending yourself')).code, 'bad_request', 'bob cannot befriend himself')
  t.equal((await failure(t, bridge.addFriend({ email: 'nobody@example.com' }), 'an unknown e-mail')).code, 'not_found', 'an e-mail the tracker does not know is not_found')
  const added = await call(t, bridge, 'addFriend', { email: 'alice@example.com', nickname: 'Alice' })
  t.match(added.peer, { email: 'alice@example.com', friend: true, nickname: 'Alice' }, 'alice is a friend with her nickname')
  await waitFor(() => events.some((e) => e.type === 'peer' && e.peer.email === 'alice@example.com' && e.peer.friend && e.peer.status === 'online'), 20_000, 'alice online as a friend')
  t.pass('a peer event shows the friend online after her health check')

  await alice.runtime.stop()
  await waitFor(() => events.some((e) => e.type === 'peer' && e.peer.email === 'alice@example.com' && e.peer.status === 'offline'), 20_000, 'alice offline')
  t.pass('once alice stops, a peer event shows her offline')
  const after = await call(t, bridge, 'listPeers', { refresh: true })
  t.match(after.peers, [{ email: 'alice@example.com', friend: true, status: 'offline' }], 'the list keeps the offline friend')
  t.equal((await failure(t, bridge.listRemoteFiles({ email: 'alice@example.com', path: '' }), 'visiting an offline peer')).code, 'not_online', 'visiting her now says she is not online')

  t.same(await call(t, bridge, 'removeFriend', { email: 'alice@example.com' }), { removed: true }, 'removing a friend says so')
  await waitFor(() => events.some((e) => e.type === 'peer-removed' && e.email === 'alice@example.com'), 5000, 'alice removed')
  t.pass('an offline peer who is no longer a friend leaves the list')
  t.same(await call(t, bridge, 'removeFriend', { email: 'alice@example.com' }), { removed: false }, 'removing her twice changes nothing')
})

t.test('a visit to a peer who went away marks a non-friend offline; the poll publishes arrivals', async (t) => {
  const tracker = await startTestTracker(t)
  const base = t.testdir()
  const alice = await makePeer(t, tracker, 'alice@example.com', { base })
  const bob = await makePeer(t, tracker, 'bob@example.com', { base })
  await bob.runtime.start({ requireTracker: true })
  const { bridge, events } = bridgeFor(t, bob.runtime, WEB, { peersRefreshIntervalMs: 100 })
  t.same((await bridge.listPeers({})).peers, [], 'nobody else online yet')

  await alice.runtime.start({ requireTracker: true })
  await waitFor(() => events.some((e) => e.type === 'peers' && e.peers.peers.some((p) => p.email === 'alice@example.com' && p.status === 'online')), 10_000, 'alice to appear')
  t.pass('the periodic tracker listing publishes a newcomer while someone listens')

  // Alice leaves: a visit finds out at once, and the next listing drops her.
  const seen = events.length
  await alice.runtime.stop()
  const err = await failure(t, bridge.listRemoteFiles({ email: 'alice@example.com', path: '' }), 'visiting a peer who left')
  t.ok(['not_online', 'unreachable'].includes(err.code), `the visit fails as not_online or unreachable (${err.code})`)
  await waitFor(
    () => events.slice(seen).some((e) => (e.type === 'peer' && e.peer.email === 'alice@example.com' && e.peer.status === 'offline') || (e.type === 'peers' && !e.peers.peers.some((p) => p.email === 'alice@example.com'))),
    10_000,
    'alice to be shown gone',
  )
  t.pass('listeners learn that alice is gone')
})

t.test('desktop hooks: folder picker, reveal and outside links go to the shell', async (t) => {
  const tracker = await startTestTracker(t)
  const base = t.testdir()
  const bob = await makePeer(t, tracker, 'bob@example.com', { base })
  const downloads = join(base, 'downloads')
  await mkdir(downloads)
  await bob.runtime.updateSettings({ downloadDir: downloads })
  const revealed: string[] = []
  const opened: string[] = []
  const { bridge } = bridgeFor(t, bob.runtime, {
    mode: 'desktop',
    version: '1.2.3',
    chooseFolder: async () => '/home/bob/Shared',
    revealFile: (path) => void revealed.push(path),
    openExternal: (url) => (opened.push(url), true),
  })
  t.match(await bridge.getInfo(), { mode: 'desktop', version: '1.2.3', canChooseFolder: true, canReveal: true }, 'the desktop says what it can do')
  t.same(await bridge.chooseShareFolder(), { path: '/home/bob/Shared' }, 'the picker answers the chosen folder')
  t.same(await bridge.openExternal({ url: 'https://example.com/a' }), { opened: true }, 'outside links open through the shell')
  t.same(opened, ['https://example.com/a'], 'with the URL given')
  t.equal((await failure(t, bridge.openExternal({ url: 'javascript:alert(1)' }), 'a javascript: URL')).code, 'validation_failed', 'only http(s) links reach the shell')
  t.equal(bridge.remoteFileUrl('alice@example.com', 'a b/c.png'), 'flashback://peer/alice%40example.com/a%20b/c.png', 'remote bytes go through the custom protocol')
  t.equal(createRuntimeBridge(bob.runtime, WEB).remoteFileUrl('alice@example.com', 'x.png'), '/remote/alice%40example.com/x.png', 'and through /remote in web mode')
  await writeFile(join(downloads, 'x.bin'), 'done')
  t.equal((await failure(t, bridge.revealDownload({ id: 'missing' }), 'reveal an unknown download')).code, 'invalid_state', 'revealing an unknown download is refused')
  t.same(revealed, [], 'nothing was revealed')
})

t.test('publishing through the bridge: off, on (saved, hashed, published), off again; kept across a restart', async (t) => {
  const tracker = await startTestTracker(t)
  const base = t.testdir()
  const alice = await makePeer(t, tracker, 'alice@example.com', {
    base,
    files: { 'music/harbour-song.ogg': patternBytes(2_000_000, 3), 'readme.txt': 'hello\n' },
    timing: { publishProgressIntervalMs: 20 },
  })
  await alice.runtime.start({ requireTracker: true })
  const { bridge, events } = bridgeFor(t, alice.runtime)
  const publishing = () => events.filter((e): e is Extract<BridgeEvent, { type: 'publishing' }> => e.type === 'publishing').map((e) => e.publishing)

  const off = await call(t, bridge, 'getPublishing')
  t.match(off, { enabled: false, state: 'off', files: 0, hashed: 0, published: 0 }, 'publishing is off until turned on')
  t.equal(off.error, undefined, 'with no error')

  const on = await call(t, bridge, 'setPublishing', { enabled: true })
  t.equal(on.enabled, true, 'turning it on answers the new status')
  t.ok(['scanning', 'hashing', 'idle'].includes(on.state), `and the publisher runs at once (${on.state})`)
  t.equal(alice.runtime.settings().publish, true, 'the setting is saved in the profile')
  await waitFor(() => publishing().some((p) => p.state === 'idle' && p.pending === 0 && p.published === 4), 20_000, 'the share to be published')
  const done = await call(t, bridge, 'getPublishing')
  t.match(done, { enabled: true, state: 'idle', files: 4, hashed: 4, published: 4, pending: 0, syncing: true, unreadable: 0 }, 'every file hashed and published; events told the progress')
  t.equal(done.bytesHashed, done.bytes, 'every byte hashed')
  t.ok(publishing().every((p) => p.hashed <= p.files), 'progress never counts more hashed files than found')

  const stopped = await call(t, bridge, 'setPublishing', { enabled: false })
  t.match(stopped, { enabled: false, state: 'off' }, 'turning it off stops the publisher')
  t.equal(alice.runtime.settings().publish, false, 'and is saved too')
  t.equal(publishing().at(-1)?.state, 'off', 'an event says so')

  await call(t, bridge, 'setPublishing', { enabled: true })
  await alice.runtime.restart()
  await waitFor(async () => (await bridge.getPublishing()).state === 'idle' && (await bridge.getPublishing()).published === 4, 20_000, 'publishing after the restart')
  t.pass('the saved setting starts publishing again with the peer')
  await alice.runtime.stop()
  t.match(await call(t, bridge, 'getPublishing'), { enabled: true, state: 'waiting' }, 'while the peer is stopped, publishing waits for it')
})

t.test('searching the registry through the bridge: by name and hash, paging, online first, offline owners, nothing found, no tracker', async (t) => {
  const tracker = await startTestTracker(t)
  const base = t.testdir()
  const song = patternBytes(300_000, 5)
  const alice = await makePeer(t, tracker, 'alice@example.com', { base, files: { 'music/harbour-song.ogg': song, 'music/harbour-2.ogg': 'two', 'notes/harbour.md': '# Harbour\n' } })
  const carol = await makePeer(t, tracker, 'carol@example.com', { base, files: { 'old/harbour-song.ogg': song } })
  const bob = await makePeer(t, tracker, 'bob@example.com', { base })
  for (const peer of [alice, carol, bob]) await peer.runtime.start({ requireTracker: true })
  const published = async (peer: typeof alice, files: number) => {
    await peer.runtime.setPublishing(true)
    await waitFor(() => peer.runtime.publishing().state === 'idle' && peer.runtime.publishing().published === files, 20_000, `${peer.runtime.settings().email} to publish`)
  }
  // With the helper's default share (index.md, notes/plan.md).
  await published(alice, 5)
  await published(carol, 3)
  await carol.runtime.stop()
  const { bridge } = bridgeFor(t, bob.runtime)

  const byName = await call(t, bridge, 'searchFiles', { name: ' HARBOUR ' })
  t.same(
    byName.results.map((r) => [r.email, r.path, r.online]),
    [
      ['alice@example.com', 'music/harbour-2.ogg', true],
      ['alice@example.com', 'music/harbour-song.ogg', true],
      ['alice@example.com', 'notes/harbour.md', true],
      ['carol@example.com', 'old/harbour-song.ogg', false],
    ],
    'a name search matches part of the name without case: online owners first, carol (stopped) offline last',
  )
  const hit = byName.results.find((r) => r.path === 'music/harbour-song.ogg')
  t.match(hit, { name: 'harbour-song.ogg', size: song.length, sha256: createHash('sha256').update(song).digest('hex'), mine: false }, 'a result has the name, size and content hash')
  t.equal(byName.nextCursor, undefined, 'everything fit in one page')

  const byHash = await call(t, bridge, 'searchFiles', { sha256: (hit?.sha256 ?? '').toUpperCase() })
  t.same(byHash.results.map((r) => [r.email, r.online]), [['alice@example.com', true], ['carol@example.com', false]], 'a hash search finds every copy of the content, in any case')

  const page1 = await call(t, bridge, 'searchFiles', { name: 'harbour', limit: 3 })
  t.equal(page1.results.length, 3, 'a page holds at most `limit` results')
  t.type(page1.nextCursor, 'string', 'and says there is more')
  const page2 = await call(t, bridge, 'searchFiles', { name: 'harbour', limit: 3, cursor: page1.nextCursor as string })
  t.same(page2.results.map((r) => r.email), ['carol@example.com'], 'the cursor gives the rest')
  t.equal(page2.nextCursor, undefined, 'the last page has no cursor')

  const { bridge: aliceBridge } = bridgeFor(t, alice.runtime)
  t.ok((await aliceBridge.searchFiles({ name: 'harbour-song' })).results.some((r) => r.email === 'alice@example.com' && r.mine), "alice's own files are marked mine")

  t.same((await call(t, bridge, 'searchFiles', { name: 'no such file anywhere' })).results, [], 'nothing found is an empty list, not an error')
  const short = await failure(t, bridge.searchFiles({ name: ' a ' }), 'one character after trimming')
  t.match(short, { code: 'validation_failed', field: 'name' }, 'a name of one character is refused, naming the field')
  t.equal((await failure(t, (bridge.searchFiles as (a: unknown) => Promise<unknown>)({ sha256: 'abc' }), 'a short hash')).code, 'validation_failed', 'a hash that is not 64 hex digits is refused')

  await tracker.close()
  const down = await failure(t, bridge.searchFiles({ name: 'harbour' }), 'searching without a tracker')
  t.equal(down.code, 'unavailable', 'an unreachable tracker is unavailable')
  t.match(down.message, /tracker/, 'and the message names the tracker')
})
