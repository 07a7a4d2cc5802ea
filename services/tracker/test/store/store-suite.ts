/**
 * One behavioural suite for every store backend (SQLite now, PostgreSQL too): each backend's test
 * file calls `storeSuite` with a factory that hands out a fresh, empty store.
 */
import type { Test } from 'tap'
import type { BroadcastInput, ClientRecord, TrackerStore } from '../../src/store/types.js'
import { registrySuite } from './registry-suite.js'
import { client, fp, T0, withStore } from './suite-helpers.js'

export interface StoreUnderTest {
  store: TrackerStore
  /** Close and open the same database again (persistence). */
  reopen: () => Promise<TrackerStore>
  cleanup: () => Promise<void>
}

export type StoreFactory = () => Promise<StoreUnderTest>


function ready(c: ClientRecord, over: Partial<BroadcastInput> = {}): BroadcastInput {
  return {
    clientId: c.id,
    email: c.email,
    fingerprint: c.fingerprint,
    port: 4000,
    addresses: ['192.0.2.1', '2001:db8::1'],
    capabilities: { preview: true },
    now: T0,
    expiresAt: T0 + 60_000,
    ...over,
  }
}

export function storeSuite(t: Test, factory: StoreFactory): void {
  t.test('registration', async (t) => {
    const { store } = await withStore(t, factory)
    const first = await store.registerClient({ email: 'a@example.com', fingerprint: fp(1), certificatePem: 'PEM', now: T0 })
    t.equal(first.outcome, 'created', 'a new e-mail and certificate are registered')
    t.match(first.client.id, /^[0-9a-f-]{36}$/, 'the client id is a UUID')
    t.equal(first.client.registeredAt, T0, 'the registration time is the one given')
    const again = await store.registerClient({ email: 'a@example.com', fingerprint: fp(1), certificatePem: 'PEM', now: T0 + 5 })
    t.equal(again.outcome, 'existing', 'the same e-mail with the same certificate is idempotent')
    t.equal(again.client.id, first.client.id, 'and keeps its client id')
    t.equal(again.client.registeredAt, T0, 'and its first registration time')
    const taken = await store.registerClient({ email: 'a@example.com', fingerprint: fp(2), certificatePem: 'PEM2', now: T0 })
    t.equal(taken.outcome, 'email_taken', 'the e-mail cannot be taken by another certificate')
    const certTaken = await store.registerClient({ email: 'b@example.com', fingerprint: fp(1), certificatePem: 'PEM', now: T0 })
    t.equal(certTaken.outcome, 'certificate_taken', 'one certificate cannot hold two e-mails')
    t.equal((await store.getClientByFingerprint(fp(1)))?.email, 'a@example.com', 'a client is found by fingerprint')
    t.equal((await store.getClientByEmail('a@example.com'))?.fingerprint, fp(1), 'a client is found by e-mail')
    t.equal(await store.getClientByFingerprint(fp(9)), undefined, 'an unknown fingerprint finds nothing')
    t.equal(await store.getClientByEmail('nobody@example.com'), undefined, 'an unknown e-mail finds nothing')
    t.equal(await store.countClients(), 1, 'refused registrations leave one client')
  })

  t.test('concurrent registrations of one e-mail: exactly one wins', async (t) => {
    const { store } = await withStore(t, factory)
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store.registerClient({ email: 'race@example.com', fingerprint: fp(100 + i), certificatePem: 'PEM', now: T0 }),
      ),
    )
    t.equal(results.filter((r) => r.outcome === 'created').length, 1, 'one registration is created')
    t.equal(results.filter((r) => r.outcome === 'email_taken').length, 7, 'the others are told the e-mail is taken')
    t.equal(await store.countClients(), 1, 'one client exists')
  })

  t.test('broadcasts: ready, replace, lookup, touch, offline', async (t) => {
    const { store } = await withStore(t, factory)
    const alice = await client(store, 1, 'alice@example.com')
    const b1 = await store.upsertBroadcast(ready(alice))
    t.match(b1.broadcastId, /^[0-9a-f-]{36}$/, 'a broadcast gets an id')
    t.same(b1.addresses, ['192.0.2.1', '2001:db8::1'], 'addresses round-trip in order')
    t.same(b1.capabilities, { preview: true }, 'capabilities round-trip')
    const b2 = await store.upsertBroadcast(
      ready(alice, { port: 5000, addresses: ['::1'], capabilities: { nested: { list: [1, 'é', null] } }, now: T0 + 1000, expiresAt: T0 + 61_000 }),
    )
    t.not(b2.broadcastId, b1.broadcastId, 'a new ready gets a new broadcast id')
    const found = await store.getBroadcastByEmail('alice@example.com', T0 + 2000)
    t.equal(found?.port, 5000, 'the new ready replaced the old one')
    t.same(found?.capabilities, { nested: { list: [1, 'é', null] } }, 'nested JSON and unicode survive')
    t.equal(found?.lastSeen, T0 + 1000, 'last seen is the time of the ready')
    t.equal(found?.fingerprint, alice.fingerprint, 'the broadcast carries the fingerprint')
    t.equal(await store.countOnline(T0 + 2000), 1, 'one broadcast per identity')

    const touched = await store.touchBroadcast(alice.id, T0 + 30_000, T0 + 90_000)
    t.equal(touched?.expiresAt, T0 + 90_000, 'a heartbeat pushes the expiry')
    t.equal(touched?.lastSeen, T0 + 30_000, 'and updates last seen')
    t.equal(touched?.broadcastId, b2.broadcastId, 'and keeps the broadcast id')
    t.equal(await store.touchBroadcast(alice.id, T0 + 90_000, T0 + 150_000), undefined, 'an expired broadcast cannot be revived by a heartbeat')

    await store.upsertBroadcast(ready(alice, { now: T0 + 100_000, expiresAt: T0 + 160_000 }))
    t.equal(await store.deleteBroadcast(alice.id), true, 'offline removes the broadcast')
    t.equal(await store.getBroadcastByEmail('alice@example.com', T0 + 100_001), undefined, 'and it is gone at once')
    t.equal(await store.deleteBroadcast(alice.id), false, 'a second offline finds nothing')
    t.equal(await store.touchBroadcast(alice.id, T0, T0 + 1), undefined, 'no heartbeat without a broadcast')
  })

  t.test('a broadcast needs a registered client', async (t) => {
    const { store } = await withStore(t, factory)
    await t.rejects(
      store.upsertBroadcast({ ...ready({ id: '00000000-0000-4000-8000-000000000000', email: 'x@example.com', fingerprint: fp(5), certificatePem: '', registeredAt: T0 }) }),
      'the store refuses a broadcast for an unknown client',
    )
  })

  t.test('expired broadcasts are invisible before they are swept', async (t) => {
    const { store } = await withStore(t, factory)
    const a = await client(store, 1)
    const b = await client(store, 2)
    await store.upsertBroadcast(ready(a, { expiresAt: T0 + 1000 }))
    await store.upsertBroadcast(ready(b, { expiresAt: T0 + 5000 }))
    t.ok(await store.getBroadcastByEmail(a.email, T0 + 999), 'alive one millisecond before expiry')
    t.equal(await store.getBroadcastByEmail(a.email, T0 + 1000), undefined, 'gone at the expiry instant')
    t.same((await store.listBroadcasts({ now: T0 + 2000, limit: 10 })).map((x) => x.email), [b.email], 'list leaves it out')
    t.equal(await store.countOnline(T0 + 2000), 1, 'the online count leaves it out')
    t.equal(await store.countOnline(T0 + 5000), 0, 'both expired: nobody online')
  })

  t.test('list: ordered by e-mail, keyset paging', async (t) => {
    const { store } = await withStore(t, factory)
    const emails = ['d@example.com', 'a@example.com', 'c@example.com', 'e@example.com', 'b@example.com']
    for (const [i, email] of emails.entries()) {
      const c = await client(store, i + 1, email)
      await store.upsertBroadcast(ready(c))
    }
    const page1 = await store.listBroadcasts({ now: T0, limit: 2 })
    t.same(page1.map((b) => b.email), ['a@example.com', 'b@example.com'], 'the first page starts at the smallest e-mail')
    const page2 = await store.listBroadcasts({ now: T0, limit: 2, afterEmail: 'b@example.com' })
    t.same(page2.map((b) => b.email), ['c@example.com', 'd@example.com'], 'the next page continues after the cursor')
    const page3 = await store.listBroadcasts({ now: T0, limit: 2, afterEmail: 'd@example.com' })
    t.same(page3.map((b) => b.email), ['e@example.com'], 'the last page is short')
    t.same(await store.listBroadcasts({ now: T0, limit: 2, afterEmail: 'z@example.com' }), [], 'past the end: empty')
  })

  t.test('sweeping deletes expired rows only, in batches', async (t) => {
    const { store } = await withStore(t, factory)
    for (let i = 1; i <= 25; i++) {
      const c = await client(store, i)
      await store.upsertBroadcast(ready(c, { expiresAt: i <= 20 ? T0 + 1000 : T0 + 100_000 }))
    }
    t.equal(await store.deleteExpiredBroadcasts(T0 + 1000, 8), 8, 'a batch deletes at most its limit')
    t.equal(await store.deleteExpiredBroadcasts(T0 + 1000, 8), 8, 'the next batch goes on')
    t.equal(await store.deleteExpiredBroadcasts(T0 + 1000, 8), 4, 'the last batch deletes the rest')
    t.equal(await store.deleteExpiredBroadcasts(T0 + 1000, 8), 0, 'then nothing is left to sweep')
    t.equal(await store.countOnline(T0 + 1000), 5, 'live broadcasts were not touched')
    t.equal(await store.countClients(), 25, 'sweeping broadcasts keeps the registrations')
  })

  t.test('runExclusive: one holder per name', async (t) => {
    const { store } = await withStore(t, factory)
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const first = store.runExclusive('job', async () => {
      await held
      return 'first'
    })
    await new Promise((r) => setTimeout(r, 50))
    const second = await store.runExclusive('job', async () => 'second')
    t.same(second, { ran: false }, 'a second run under the same name is refused while the first holds it')
    const other = await store.runExclusive('other-job', async () => 'other')
    t.same(other, { ran: true, value: 'other' }, 'another name is independent')
    release()
    t.same(await first, { ran: true, value: 'first' }, 'the holder finishes with its value')
    t.same(await store.runExclusive('job', async () => 'third'), { ran: true, value: 'third' }, 'the name is free again')
    await t.rejects(store.runExclusive('job', async () => Promise.reject(new Error('boom'))), /boom/, 'a failing task rejects')
    t.same(await store.runExclusive('job', async () => 'after'), { ran: true, value: 'after' }, 'and releases the name')
  })

  t.test('rate counters: fixed windows', async (t) => {
    const { store } = await withStore(t, factory)
    const w = 60_000
    t.same(await store.hitCounter('ip:1', w, T0 + 10), { count: 1, resetAt: T0 + w }, 'the first hit opens the window')
    t.equal((await store.hitCounter('ip:1', w, T0 + 20)).count, 2, 'hits in one window add up')
    t.equal((await store.hitCounter('ip:2', w, T0 + 20)).count, 1, 'keys count separately')
    t.same(await store.hitCounter('ip:1', w, T0 + w + 5), { count: 1, resetAt: T0 + 2 * w }, 'a new window starts from one')
    const counted = await Promise.all(Array.from({ length: 10 }, () => store.hitCounter('ip:3', w, T0)))
    t.same(counted.map((c) => c.count).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'concurrent hits are all counted')
    t.equal(await store.deleteStaleCounters(T0 + w + 1, 100), 2, 'counters of ended windows are deleted')
    t.equal(await store.deleteStaleCounters(T0 + w + 1, 100), 0, 'the current ones stay')
  })

  t.test('data survives closing and reopening', async (t) => {
    const s = await withStore(t, factory)
    const a = await client(s.store, 1, 'keep@example.com')
    await s.store.upsertBroadcast(ready(a, { expiresAt: T0 + 60_000 }))
    const reopened = await s.reopen()
    t.equal((await reopened.getClientByEmail('keep@example.com'))?.id, a.id, 'the registration survived')
    t.equal((await reopened.getBroadcastByEmail('keep@example.com', T0 + 1))?.port, 4000, 'the live broadcast survived')
    t.equal(await reopened.getBroadcastByEmail('keep@example.com', T0 + 60_000), undefined, 'and still expires on time')
    await reopened.ping()
    t.pass('the reopened store answers a ping')
  })

  // The file registry's tests (its own file).
  registrySuite(t, factory)
}
