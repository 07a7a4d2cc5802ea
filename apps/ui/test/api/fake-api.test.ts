import t from 'tap'
import { type BridgeError, checkBridgeResult, type BridgeEvent } from '@flashback/protocol'
import { createFakeApi } from '../../src/api/fake-api.js'
import { BIG_FOLDER_SIZE } from '../../src/api/fake-data.js'

const rejection = async (p: Promise<unknown>): Promise<BridgeError> => {
  try {
    await p
  } catch (e) {
    return e as BridgeError
  }
  throw new Error('expected a rejection')
}

t.test('the fake answers every channel with valid results', async (t) => {
  const fake = createFakeApi({ sampleDownloads: true })
  t.teardown(() => fake.control.close())
  t.ok(checkBridgeResult('getInfo', await fake.getInfo()), 'getInfo')
  t.ok(checkBridgeResult('getSettings', await fake.getSettings()), 'getSettings')
  t.ok(checkBridgeResult('getStatus', await fake.getStatus()), 'getStatus')
  t.ok(checkBridgeResult('listMyFiles', await fake.listMyFiles({ path: '' })), 'listMyFiles')
  t.ok(checkBridgeResult('listPeers', await fake.listPeers()), 'listPeers')
  t.ok(checkBridgeResult('listRemoteFiles', await fake.listRemoteFiles({ email: 'alice@example.com', path: 'notes' })), 'listRemoteFiles')
  t.ok(checkBridgeResult('readRemoteText', await fake.readRemoteText({ email: 'alice@example.com', path: 'notes/plan.md' })), 'readRemoteText')
  t.ok(checkBridgeResult('listDownloads', await fake.listDownloads()), 'listDownloads')
  t.ok(checkBridgeResult('chooseShareFolder', await fake.chooseShareFolder()), 'chooseShareFolder')
  t.ok(checkBridgeResult('openExternal', await fake.openExternal({ url: 'https://example.org' })), 'openExternal')
  t.same(fake.control.openedUrls, ['https://example.org'], 'openExternal is recorded')
})

t.test('arguments are validated like the real shells do', async (t) => {
  const fake = createFakeApi()
  const err = await rejection(fake.listRemoteFiles({ email: 'alice@example.com', path: '../etc' }))
  t.equal(err.code, 'validation_failed', 'a hostile path never reaches the house')
  const err2 = await rejection(fake.addFriend({ email: 'nope' }))
  t.equal(err2.code, 'validation_failed', 'a bad e-mail is refused')
})

t.test('houses: folders first, files, errors, paging', async (t) => {
  const fake = createFakeApi()
  const root = await fake.listRemoteFiles({ email: 'alice@example.com', path: '' })
  const names = root.entries.map((e) => e.name)
  t.same(names, ['big', 'music', 'notes', 'photos', 'software', 'archive.zip', 'index.md'], 'folders first, then files, by name')
  t.equal((await rejection(fake.listRemoteFiles({ email: 'alice@example.com', path: 'index.md' }))).code, 'not_a_directory', 'a file is not a folder')
  t.equal((await rejection(fake.listRemoteFiles({ email: 'alice@example.com', path: 'nope' }))).code, 'not_found', 'a missing folder')
  t.equal((await rejection(fake.listRemoteFiles({ email: 'carol@example.com', path: '' }))).code, 'not_online', 'an offline friend')
  t.equal((await rejection(fake.listRemoteFiles({ email: 'erin@example.com', path: '' }))).code, 'certificate_mismatch', 'an impostor')
  t.equal((await rejection(fake.readRemoteText({ email: 'alice@example.com', path: 'archive.zip' }))).code, 'not_text', 'binary is not text')

  let cursor: string | undefined
  let total = 0
  let pages = 0
  do {
    const page = await fake.listRemoteFiles(cursor ? { email: 'alice@example.com', path: 'big', cursor, limit: 3000 } : { email: 'alice@example.com', path: 'big', limit: 3000 })
    total += page.entries.length
    pages++
    cursor = page.next_cursor
  } while (cursor)
  t.equal(total, BIG_FOLDER_SIZE, 'the big folder pages through all 10,000 entries')
  t.equal(pages, 4, 'in pages of the requested size')
  const file = fake.control.file('alice@example.com', 'big/scan-10000.txt')
  t.match(new TextDecoder().decode(file?.bytes), /Scan number 10000/, 'a generated entry has content')
  const wav = fake.control.file('alice@example.com', 'music/chord.wav')
  t.equal(new TextDecoder().decode(wav?.bytes.slice(0, 4)), 'RIFF', 'the generated audio is a real WAV')
  t.equal(fake.control.file('carol@example.com', 'index.md'), null, 'an offline peer serves no bytes')
})

t.test('settings and email_taken', async (t) => {
  const fake = createFakeApi({ configured: false })
  const events: BridgeEvent[] = []
  fake.subscribe((e) => events.push(e))
  t.equal((await fake.getSettings()).settings, null, 'first run has no settings')
  t.equal((await fake.getStatus()).registration, 'unconfigured', 'and is unconfigured')
  t.equal((await rejection(fake.listPeers())).code, 'not_configured', 'peers need settings first')
  const base = { shareRoot: '/home/bob/Shared', trackerUrl: 'https://t.example.com', trackerFingerprint: null, bindAll: false, access: 'open' as const }
  const taken = await fake.setSettings({ ...base, email: 'taken@example.com' })
  t.equal(taken.status.registration, 'email_taken', 'a taken address is reported in the status')
  t.ok(events.some((e) => e.type === 'status' && e.status.registration === 'email_taken'), 'and as an event')
  const missing = await rejection(fake.setSettings({ ...base, email: 'bob@example.com', shareRoot: '/missing/folder' }))
  t.equal(missing.field, 'shareRoot', 'a missing folder is reported on its field')
  const open = await rejection(fake.setSettings({ ...base, email: 'bob@example.com', bindAll: true }))
  t.equal(open.field, 'access', 'open access on every interface is refused on the access field')
  const ok = await fake.setSettings({ ...base, email: 'bob@example.com' })
  t.equal(ok.status.registration, 'registered', 'another address registers')
  t.equal(ok.status.broadcasting, true, 'and broadcasts')
})

t.test('friends', async (t) => {
  const fake = createFakeApi()
  const events: BridgeEvent[] = []
  fake.subscribe((e) => events.push(e))
  const added = await fake.addFriend({ email: 'Zoe@Example.com', nickname: 'Zoe' })
  t.equal(added.peer.status, 'checking', 'a new friend is checked first')
  t.ok(events.some((e) => e.type === 'peer' && e.peer.email === 'zoe@example.com'), 'and announced')
  fake.control.tick()
  t.ok(events.some((e) => e.type === 'peer' && e.peer.email === 'zoe@example.com' && e.peer.status === 'offline'), 'the health check then says offline')
  t.same(await fake.removeFriend({ email: 'zoe@example.com' }), { removed: true }, 'a friend can be removed')
  t.ok(events.some((e) => e.type === 'peer-removed' && e.email === 'zoe@example.com'), 'an offline ex-friend leaves the list')
  t.same(await fake.removeFriend({ email: 'zoe@example.com' }), { removed: false }, 'removing twice removes nothing')
  await fake.removeFriend({ email: 'alice@example.com' })
  const alice = (await fake.listPeers()).peers.find((p) => p.email === 'alice@example.com')
  t.equal(alice?.friend, false, 'an online ex-friend stays, no longer a friend')
  t.equal((await rejection(fake.addFriend({ email: 'bob@example.com' }))).code, 'bad_request', 'you cannot befriend yourself')
})

t.test('downloads: progress, cancel, resume, complete, reveal', async (t) => {
  const fake = createFakeApi({ downloadRate: 1024 * 1024 })
  const d = await fake.startDownload({ email: 'alice@example.com', path: 'archive.zip' })
  t.equal(d.state, 'running', 'a download starts running')
  t.equal(d.total, 3 * 1024 * 1024, 'with the file size as total')
  fake.control.tick(1)
  const after = (await fake.listDownloads()).downloads.find((x) => x.id === d.id)
  t.equal(after?.received, 1024 * 1024, 'a second of progress at 1 MiB/s')
  const cancelled = await fake.cancelDownload({ id: d.id })
  t.equal(cancelled.state, 'cancelled', 'cancelling stops it')
  t.equal(cancelled.received, 1024 * 1024, 'keeping what was received')
  fake.control.tick(1)
  t.equal((await fake.listDownloads()).downloads[0]?.received, 1024 * 1024, 'a cancelled download does not move')
  t.equal((await rejection(fake.cancelDownload({ id: d.id }))).code, 'invalid_state', 'cancelling twice is refused')
  const resumed = await fake.resumeDownload({ id: d.id })
  t.equal(resumed.state, 'running', 'resuming continues')
  fake.control.tick(5)
  const done = (await fake.listDownloads()).downloads[0]
  t.equal(done?.state, 'completed', 'and completes')
  t.equal(done?.received, done?.total, 'with every byte')
  t.same(await fake.revealDownload({ id: d.id }), { ok: true }, 'a finished download can be revealed')
  t.same(fake.control.revealed, [d.id], 'the reveal is recorded')
  t.equal((await rejection(fake.resumeDownload({ id: 'nope' }))).code, 'not_found', 'an unknown id')
  t.equal((await rejection(fake.startDownload({ email: 'alice@example.com', path: 'notes' }))).code, 'bad_request', 'a folder is not downloaded')
})

t.test('results are copies', async (t) => {
  const fake = createFakeApi()
  const s = await fake.getStatus()
  s.errors.length = 0
  t.ok((await fake.getStatus()).errors.length > 0, 'mutating a result does not change the fake')
})

t.test('the registry: search by name and hash, online owners first, paging, mine once published', async (t) => {
  const fake = createFakeApi()
  t.teardown(() => fake.control.close())
  const lake = await fake.searchFiles({ name: 'LAKE' })
  t.ok(checkBridgeResult('searchFiles', lake), 'a valid answer')
  t.same(lake.results.map((r) => [r.email, r.path, r.online]), [['alice@example.com', 'photos/lake.svg', true], ['carol@example.com', 'photos/lake.svg', false]], 'alice (online) first, carol (offline) after')
  t.equal(lake.results[0]?.sha256, lake.results[1]?.sha256, 'the same content has the same hash')
  const copies = await fake.searchFiles({ sha256: (lake.results[0]?.sha256 ?? '').toUpperCase() })
  t.equal(copies.results.length, 2, 'a hash search finds both copies')
  t.same((await fake.searchFiles({ name: 'no such thing' })).results, [], 'nothing found')
  const page1 = await fake.searchFiles({ name: 'md', limit: 2 })
  t.equal(page1.results.length, 2, 'a page')
  const page2 = await fake.searchFiles({ name: 'md', limit: 2, cursor: page1.nextCursor ?? '' })
  t.notSame(page2.results[0], page1.results[0], 'the cursor moves on')
  t.same((await fake.searchFiles({ name: 'pancakes' })).results, [], 'my files are not published yet')

  const on = await fake.setPublishing({ enabled: true })
  t.match(on, { enabled: true, state: 'scanning' }, 'turning publishing on starts scanning')
  fake.control.tick()
  t.match(await fake.getPublishing(), { state: 'hashing', files: 240 }, 'then hashing, with the total known')
  t.type((await fake.getPublishing()).current, 'string', 'naming the file being hashed')
  for (let i = 0; i < 40; i++) fake.control.tick()
  t.match(await fake.getPublishing(), { state: 'idle', hashed: 240, published: 240, pending: 0 }, 'until everything is published')
  t.match((await fake.searchFiles({ name: 'pancakes' })).results, [{ email: 'bob@example.com', mine: true }], 'now my own files are found, marked mine')
  t.match(await fake.setPublishing({ enabled: false }), { enabled: false, state: 'off' }, 'and it can be turned off')
})
