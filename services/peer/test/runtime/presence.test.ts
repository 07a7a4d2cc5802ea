import t from 'tap'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { type RuntimeEvent } from '@flashback/protocol'
import { type Identity } from '@flashback/identity'
import { type RunningTracker } from '@flashback/tracker'
import {
  RuntimeEvents,
  TrackerClient,
  TrackerPresence,
  backoffDelay,
  heartbeatInterval,
  type PresenceOptions,
} from '../../src/runtime/index.js'
import { makeIdentity, startTestTracker, trackerClientFor, waitFor, type TapTest } from './helper.js'

const FAST = { backoffBaseMs: 50, backoffMaxMs: 300, offlineTimeoutMs: 2000 }

function clientFor(t: TapTest, url: string, fingerprint: string, identity: Identity, email = identity.email): TrackerClient {
  const client = new TrackerClient({ url, identity: { certPem: identity.certPem, keyPem: identity.keyPem, email }, verify: { kind: 'fingerprint', fingerprint }, requestTimeoutMs: 5000 })
  t.teardown(() => client.close())
  return client
}

function presenceFor(t: TapTest, client: TrackerClient, options: Partial<PresenceOptions> = {}) {
  const events = new RuntimeEvents()
  const seen: RuntimeEvent[] = []
  events.subscribe((e) => seen.push(e))
  const presence = new TrackerPresence({
    tracker: client,
    events,
    announce: () => ({ port: 4242, addresses: ['127.0.0.1'], capabilities: { version: 'test', access: 'open' } }),
    ...FAST,
    ...options,
  })
  t.teardown(() => presence.stop())
  const types = () => seen.map((e) => e.type)
  return { presence, events, seen, types }
}

/** Counts calls of one method of the client, without changing what it does. */
function countCalls(client: TrackerClient, method: 'register' | 'ready' | 'heartbeat'): { count: number } {
  const counter = { count: 0 }
  const original = client[method].bind(client) as (...args: unknown[]) => Promise<unknown>
  ;(client as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
    counter.count++
    return original(...args)
  }
  return counter
}

t.test('backoff grows exponentially with jitter, capped; heartbeats come at half the lifetime, at most 30 min', async (t) => {
  t.equal(backoffDelay(1, 1000, 60_000, () => 0), 500, 'the first retry waits between half the base…')
  t.equal(backoffDelay(1, 1000, 60_000, () => 1), 1000, '…and the base')
  t.equal(backoffDelay(4, 1000, 60_000, () => 1), 8000, 'each failure doubles it')
  t.equal(backoffDelay(30, 1000, 60_000, () => 1), 60_000, 'never beyond the cap')
  t.equal(backoffDelay(30, 1000, 60_000, () => 0), 30_000, 'jitter keeps at least half the cap')
  t.equal(heartbeatInterval(3600, 30 * 60_000), 30 * 60_000, 'a one-hour lifetime: every 30 min')
  t.equal(heartbeatInterval(7200, 30 * 60_000), 30 * 60_000, 'never more than 30 min')
  t.equal(heartbeatInterval(2, 30 * 60_000), 1000, 'a 2 s lifetime: every second')
  t.equal(heartbeatInterval(0, 30 * 60_000), 250, 'a floor keeps a zero lifetime from spinning')
})

t.test('register, ready, heartbeats, then offline on stop', async (t) => {
  const tracker = await startTestTracker(t, { broadcastTtlS: 2 })
  const alice = await makeIdentity('alice@example.com')
  const viewer = trackerClientFor(t, tracker, await makeIdentity('viewer@example.com'))
  const { presence, events, seen, types } = presenceFor(t, clientFor(t, tracker.url, tracker.fingerprint, alice))

  const first = await presence.start()
  t.equal(first.state, 'broadcasting', 'the first round ends broadcasting')
  t.ok(first.expiresAt, 'the status says when the broadcast expires')
  t.same(types().slice(0, 2), ['registered', 'broadcasting'], 'registered, then broadcasting')
  const broadcast = seen.find((e) => e.type === 'broadcasting')
  t.match(broadcast, { port: 4242, addresses: ['127.0.0.1'], expiresIn: 2 }, 'the event carries what was announced')
  t.match(await viewer.lookup('alice@example.com'), { port: 4242, capabilities: { version: 'test', access: 'open' }, fingerprint: alice.fingerprint }, 'others find alice')

  await events.next('heartbeat', { timeoutMs: 20_000 })
  await events.next('heartbeat', { timeoutMs: 20_000 })
  t.pass('heartbeats keep coming at half the 2 s lifetime')
  await new Promise((resolve) => setTimeout(resolve, 2500))
  t.ok(await viewer.lookup('alice@example.com'), 'heartbeats kept the 2 s broadcast alive well past its first expiry')
  t.equal(presence.status.state, 'broadcasting', 'still broadcasting')
  t.ok(presence.status.lastHeartbeatAt, 'the last heartbeat is known')

  await presence.stop()
  t.equal(types().at(-1), 'offline', 'stop() sends offline and says so')
  t.equal(presence.status.state, 'stopped', 'the state is stopped')
  t.equal(await viewer.lookup('alice@example.com'), undefined, 'alice is gone from the tracker at once, not after the TTL')
})

t.test('409 email_taken is a terminal state: no retry loop', async (t) => {
  const tracker = await startTestTracker(t)
  const owner = await makeIdentity('taken@example.com')
  await trackerClientFor(t, tracker, owner).register()
  const client = clientFor(t, tracker.url, tracker.fingerprint, await makeIdentity('taken@example.com'))
  const registers = countCalls(client, 'register')
  const { presence, seen, types } = presenceFor(t, client)
  const first = await presence.start()
  t.equal(first.state, 'email_taken', 'the first round ends in email_taken')
  t.match(first.error, { code: 'email_taken', message: /registered with another certificate/ }, 'the status explains it')
  t.match(seen.find((e) => e.type === 'email_taken'), { email: 'taken@example.com' }, 'an email_taken event names the address')
  await new Promise((resolve) => setTimeout(resolve, 10 * FAST.backoffMaxMs))
  t.equal(registers.count, 1, 'register was tried once and never again')
  t.notOk(types().includes('tracker_error'), 'no retry was scheduled')
  presence.rebroadcast()
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(registers.count, 1, 'even a rebroadcast request does not retry a terminal state')
})

t.test('other refusals (a certificate that does not match the e-mail) are terminal too', async (t) => {
  const tracker = await startTestTracker(t)
  const client = clientFor(t, tracker.url, tracker.fingerprint, await makeIdentity('real@example.com'), 'other@example.com')
  const { presence, types } = presenceFor(t, client)
  const first = await presence.start()
  t.equal(first.state, 'rejected', 'rejected')
  t.match(first.error, { code: 'email_mismatch' }, 'with the tracker’s reason')
  t.ok(types().includes('tracker_rejected'), 'a tracker_rejected event went out')
})

t.test('a heartbeat answered 404 leads to an immediate re-broadcast', async (t) => {
  const tracker = await startTestTracker(t, { broadcastTtlS: 2 })
  const bob = await makeIdentity('bob@example.com')
  const client = clientFor(t, tracker.url, tracker.fingerprint, bob)
  const { presence, events, seen } = presenceFor(t, client)
  await presence.start()
  // Someone (here: bob's own certificate, out of band) withdraws the broadcast behind the runtime's back.
  await client.offline()
  const failed = await events.next('heartbeat_failed', { timeoutMs: 20_000 })
  t.equal(failed.retryInMs, 0, 'the failed heartbeat schedules the re-broadcast at once')
  t.equal(failed.error.code, 'not_online', 'because the tracker said not_online')
  await events.next('broadcasting', { timeoutMs: 20_000 })
  t.equal(seen.filter((e) => e.type === 'broadcasting').length, 2, 'a second broadcasting event: bob is announced again')
  const viewer = trackerClientFor(t, tracker, await makeIdentity('viewer@example.com'))
  t.ok(await viewer.lookup('bob@example.com'), 'and others find him again')
})

t.test('a tracker restart with an emptied database heals without anyone doing anything', async (t) => {
  const dataDir = t.testdir()
  let tracker: RunningTracker = await startTestTracker(t, { dataDir, broadcastTtlS: 2 })
  const { port, fingerprint, url } = tracker
  const carol = await makeIdentity('carol@example.com')
  const { presence, events, types } = presenceFor(t, clientFor(t, url, fingerprint, carol))
  await presence.start()
  t.equal(presence.status.state, 'broadcasting', 'broadcasting before the restart')

  await tracker.close()
  for (const file of ['tracker.db', 'tracker.db-wal', 'tracker.db-shm']) await rm(join(dataDir, file), { force: true })
  await events.next('heartbeat_failed', { timeoutMs: 20_000 })
  t.equal(presence.status.state, 'retrying', 'while the tracker is down the runtime retries')
  t.ok(presence.status.nextRetryAt, 'and says when it tries next')

  const before = types().length
  tracker = await startTestTracker(t, { dataDir, port, broadcastTtlS: 2 })
  t.equal(tracker.fingerprint, fingerprint, 'the restarted tracker kept its certificate (same data dir)')
  await waitFor(() => types().slice(before).includes('broadcasting'), 30_000, 'a new broadcast after the restart')
  t.ok(types().slice(before).includes('registered'), 'the runtime registered again: the wiped tracker had forgotten it')
  const viewer = trackerClientFor(t, tracker, await makeIdentity('viewer@example.com'))
  t.match(await viewer.lookup('carol@example.com'), { fingerprint: carol.fingerprint, port: 4242 }, 'carol is online again at the new tracker')
  await events.next('heartbeat', { timeoutMs: 20_000 })
  t.equal(presence.status.state, 'broadcasting', 'and heartbeats are back to normal')
})

t.test('a tracker unreachable at start is retried with backoff until it appears', async (t) => {
  const dataDir = t.testdir()
  const probe = await startTestTracker(t, { dataDir })
  const { port, fingerprint, url } = probe
  await probe.close()
  const dan = await makeIdentity('dan@example.com')
  const client = clientFor(t, url, fingerprint, dan)
  const registers = countCalls(client, 'register')
  const { presence, events, types } = presenceFor(t, client)
  const first = await presence.start()
  t.equal(first.state, 'retrying', 'the first round ends retrying, not failing')
  t.equal(first.error?.code, 'tracker_unreachable', 'because the tracker is unreachable')
  await events.next('tracker_error', { timeoutMs: 20_000 })
  t.ok(registers.count >= 2, 'register was retried')
  const tracker = await startTestTracker(t, { dataDir, port })
  await events.next('broadcasting', { timeoutMs: 30_000 })
  t.ok(types().includes('registered'), 'registered once the tracker came up')
  const viewer = trackerClientFor(t, tracker, await makeIdentity('viewer@example.com'))
  t.ok(await viewer.lookup('dan@example.com'), 'dan is online')
})

t.test('rebroadcast() announces changed capabilities at once', async (t) => {
  const tracker = await startTestTracker(t)
  let access = 'open'
  const { presence, events } = presenceFor(t, clientFor(t, tracker.url, tracker.fingerprint, await makeIdentity('erin@example.com')), {
    announce: () => ({ port: 5000, addresses: ['127.0.0.1'], capabilities: { version: 'test', access } }),
  })
  await presence.start()
  access = 'friends'
  presence.rebroadcast()
  await events.next('broadcasting', { timeoutMs: 20_000 })
  const viewer = trackerClientFor(t, tracker, await makeIdentity('viewer@example.com'))
  t.match(await viewer.lookup('erin@example.com'), { capabilities: { access: 'friends' } }, 'the tracker holds the new capabilities')
})
