import t from 'tap'
import { type RuntimeEvent, type RuntimeEventOf } from '@flashback/protocol'
import {
  FingerprintChangedError,
  PeerHttpError,
  PeerOfflineError,
  PeerUnreachableError,
  ImpostorError,
  Profile,
  TrackerUnreachableError,
  statusFromError,
  type PeerRuntime,
} from '../../src/runtime/index.js'
import { makePeer, startTestTracker, waitFor } from './helper.js'

const tracker = await startTestTracker(t)

/** The next peer_status event about `email` with `status`. */
function nextStatus(runtime: PeerRuntime, email: string, status: RuntimeEventOf<'peer_status'>['status']) {
  return runtime.events.next('peer_status', { predicate: (e) => e.email === email && e.status === status, timeoutMs: 30_000 })
}

t.test('failed health checks map to statuses', async (t) => {
  const fp = 'ab'.repeat(32)
  t.same(statusFromError(new PeerOfflineError('a@x.org')), { status: 'offline' }, 'not online at the tracker: offline')
  t.match(statusFromError(new PeerUnreachableError('a@x.org', [{ address: '127.0.0.1', port: 1, error: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }])), { status: 'offline', message: /not reachable/ }, 'announced but unreachable: offline, with why')
  t.match(statusFromError(new PeerUnreachableError('a@x.org', [{ address: '127.0.0.1', port: 1, error: new ImpostorError('127.0.0.1:1', fp, 'cd'.repeat(32)) }])), { status: 'error', message: /presented certificate/ }, 'an impostor on its address: error')
  t.match(statusFromError(new FingerprintChangedError('a@x.org', fp, 'cd'.repeat(32))), { status: 'error', message: /now publishes/ }, 'a changed certificate: error')
  t.match(statusFromError(new PeerHttpError('a@x.org', 403, 'forbidden', 'friends only')), { status: 'error', message: /^refused: / }, 'a refusal: error')
  t.match(statusFromError(new TrackerUnreachableError('down')), { status: 'error', message: /cannot ask the tracker/ }, 'no tracker: error (we cannot know)')
})

t.test('a friend goes online, offline when it stops, and online again when it starts', async (t) => {
  const alice = await makePeer(t, tracker, 'alice@example.com')
  const bob = await makePeer(t, tracker, 'bob@example.com')
  await bob.runtime.start()
  await alice.runtime.start()
  const seen: RuntimeEvent[] = []
  alice.runtime.events.subscribe((e) => seen.push(e))

  const online = nextStatus(alice.runtime, 'bob@example.com', 'online')
  const friend = await alice.runtime.addFriend('bob@example.com', { nickname: 'Bobby' })
  t.equal(friend.fingerprint, (await bob.runtime.identity()).fingerprint, 'the fingerprint was learned from the tracker')
  t.equal(friend.nickname, 'Bobby', 'the nickname is kept')
  t.ok(seen.some((e) => e.type === 'friends_changed'), 'a friends_changed event went out')
  t.ok(seen.some((e) => e.type === 'peer_status' && e.status === 'checking'), 'the new friend is "checking" first')
  const up = await online
  t.equal(up.address, '127.0.0.1', 'then online, with the address that answered')
  t.match(alice.runtime.friendStatuses(), [{ email: 'bob@example.com', status: 'online' }], 'friendStatuses() agrees')

  const offline = nextStatus(alice.runtime, 'bob@example.com', 'offline')
  await bob.runtime.stop()
  await offline
  t.pass('bob stopped: offline within the check interval')

  const back = nextStatus(alice.runtime, 'bob@example.com', 'online')
  await bob.runtime.start()
  await back
  t.pass('bob started again: online')

  t.equal(await alice.runtime.removeFriend('bob@example.com'), true, 'removed')
  t.same(alice.runtime.friendStatuses(), [], 'no status is kept for a removed friend')
  t.same((await Profile.open(alice.profileDir)).friends, [], 'the removal is saved')
})

t.test('friends-only access: a stranger is refused until the owner adds them (from another process, at once)', async (t) => {
  const alice = await makePeer(t, tracker, 'alice2@example.com')
  const carol = await makePeer(t, tracker, 'carol@example.com', { access: 'friends' })
  await carol.runtime.start()
  await alice.runtime.start()

  await t.rejects(alice.runtime.listFolder('carol@example.com', ''), { name: 'PeerHttpError', status: 403, code: 'forbidden' }, 'a stranger is refused')
  // The health check is public: carol shows online to alice even before carol adds her.
  const online = nextStatus(alice.runtime, 'carol@example.com', 'online')
  await alice.runtime.addFriend('carol@example.com')
  await online
  t.pass('carol is online for alice')

  // carol adds alice from another process (the CLI next to her running peer): her server sees it at once.
  const carolCli = await Profile.open(carol.profileDir)
  await carolCli.putFriend({ email: 'alice2@example.com', fingerprint: (await alice.runtime.identity()).fingerprint, addedAt: new Date().toISOString() })
  await waitFor(async () => (await alice.runtime.listFolder('carol@example.com', '').then(() => true, () => false)), 20_000, 'carol accepting alice')
  const listing = await alice.runtime.listFolder('carol@example.com', '')
  t.ok(listing.entries.some((e) => e.name === 'index.md'), 'once a friend, alice may browse')
  const mallory = await makePeer(t, tracker, 'mallory@example.com')
  await t.rejects(mallory.runtime.listFolder('carol@example.com', ''), { name: 'PeerHttpError', status: 403 }, 'others are still refused')
})

t.test('a friend added by another process is picked up by the running peer', async (t) => {
  const dan = await makePeer(t, tracker, 'dan@example.com')
  const erin = await makePeer(t, tracker, 'erin@example.com')
  await erin.runtime.start()
  await dan.runtime.start()
  const changed = dan.runtime.events.next('friends_changed', { timeoutMs: 30_000 })
  const online = nextStatus(dan.runtime, 'erin@example.com', 'online')
  const cli = await Profile.open(dan.profileDir)
  await cli.putFriend({ email: 'erin@example.com', fingerprint: (await erin.runtime.identity()).fingerprint, addedAt: new Date().toISOString() })
  t.match((await changed).friends, [{ email: 'erin@example.com' }], 'the running peer re-read friends.json')
  await online
  t.pass('and health-checks the new friend')
})

t.test('adding a friend who is not registered, or with a malformed fingerprint, is refused', async (t) => {
  const fay = await makePeer(t, tracker, 'fay@example.com')
  await t.rejects(fay.runtime.addFriend('ghost@example.com'), { code: 'not_registered' }, 'the tracker does not know ghost')
  await t.rejects(fay.runtime.addFriend('not-an-email'), { code: 'invalid_email' }, 'not an e-mail')
  await t.rejects(fay.runtime.addFriend('ghost@example.com', { fingerprint: 'xyz' }), { code: 'invalid_fingerprint' }, 'not a fingerprint')
  const manual = await fay.runtime.addFriend('ghost@example.com', { fingerprint: 'AB:'.repeat(31) + 'AB' })
  t.equal(manual.fingerprint, 'ab'.repeat(32), 'a fingerprint given by hand (read over the phone) is kept, canonical')
})
