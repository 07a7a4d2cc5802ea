/**
 * The file registry's part of the store suite: run by storeSuite for every backend, so SQLite and
 * PostgreSQL behave the same (ordering, paging, online flag, quota, retention, shared secrets).
 */
import type { Test } from 'tap'
import type { ClientRecord, RegistryFileInput, RegistryHit, TrackerStore } from '../../src/store/types.js'
import type { StoreFactory } from './store-suite.js'
import { client, fp, T0, withStore } from './suite-helpers.js'

const DAY = 24 * 3600 * 1000
const hash = (n: number) => `${n.toString(16)}`.padStart(64, 'a')

function file(path: string, n = 1, size = 100): RegistryFileInput {
  return { path, name: path.split('/').pop() as string, sha256: hash(n), size }
}

async function publish(store: TrackerStore, c: ClientRecord, files: RegistryFileInput[], now = T0, maxFiles = 1000) {
  return store.publishFiles({ client: c, files, now, maxFiles })
}

async function online(store: TrackerStore, c: ClientRecord, now: number, ttlMs: number) {
  await store.upsertBroadcast({
    clientId: c.id,
    email: c.email,
    fingerprint: c.fingerprint,
    port: 4000,
    addresses: ['192.0.2.1'],
    capabilities: {},
    now,
    expiresAt: now + ttlMs,
  })
}

const brief = (hits: RegistryHit[]) => hits.map((h) => `${h.online ? '+' : '-'}${h.email}:${h.path}`)

export function registrySuite(t: Test, factory: StoreFactory): void {
  t.test('registry: publish, update, search by name and hash', async (t) => {
    const { store } = await withStore(t, factory)
    const alice = await client(store, 1, 'alice@example.com')
    const bob = await client(store, 2, 'bob@example.com')
    const stored = await publish(store, alice, [file('music/Song.MP3', 1, 5), file('docs/report.pdf', 2, 7)])
    t.same(stored, { outcome: 'stored', stored: 2, total: 2 }, 'two entries are stored')
    await publish(store, bob, [file('song.mp3', 1, 5), file('Ünïcode Sóng.txt', 3)])

    const byName = await store.searchRegistry({ by: 'name', value: 'song', now: T0, limit: 10 })
    t.same(brief(byName), ['-alice@example.com:music/Song.MP3', '-bob@example.com:song.mp3'], 'a name search is a case-insensitive substring match')
    t.same(byName[0], {
      email: 'alice@example.com',
      fingerprint: fp(1),
      path: 'music/Song.MP3',
      name: 'Song.MP3',
      sha256: hash(1),
      size: 5,
      online: false,
    }, 'a hit carries the publisher, the entry and the online flag')
    t.same(brief(await store.searchRegistry({ by: 'name', value: 'sóng', now: T0, limit: 10 })), ['-bob@example.com:Ünïcode Sóng.txt'], 'non-ASCII names match case-insensitively too')
    t.same(brief(await store.searchRegistry({ by: 'name', value: 'ünïcode', now: T0, limit: 10 })), ['-bob@example.com:Ünïcode Sóng.txt'], 'upper-case non-ASCII letters are folded')
    t.same(brief(await store.searchRegistry({ by: 'name', value: '%', now: T0, limit: 10 })), [], 'LIKE wildcards are literal characters')
    t.same(brief(await store.searchRegistry({ by: 'name', value: 'music', now: T0, limit: 10 })), [], 'only the name is searched, not the folder')
    t.same(brief(await store.searchRegistry({ by: 'sha256', value: hash(1), now: T0, limit: 10 })), ['-alice@example.com:music/Song.MP3', '-bob@example.com:song.mp3'], 'a hash search finds every copy')
    t.same(brief(await store.searchRegistry({ by: 'exact_name', value: 'song.mp3', now: T0, limit: 10 })), ['-bob@example.com:song.mp3'], 'an exact name search is exact')

    const updated = await publish(store, alice, [{ path: 'music/Song.MP3', name: 'Renamed.ogg', sha256: hash(9), size: 50 }], T0 + 10)
    t.same(updated, { outcome: 'stored', stored: 1, total: 2 }, 'publishing a known path updates it in place')
    t.same(brief(await store.searchRegistry({ by: 'sha256', value: hash(9), now: T0, limit: 10 })), ['-alice@example.com:music/Song.MP3'], 'the entry has its new hash')
    t.equal((await store.searchRegistry({ by: 'name', value: 'renamed', now: T0, limit: 10 }))[0]?.size, 50, 'and its new name and size')
    t.same(await store.registryStats(), { files: 4, hashes: 4, peers: 2 }, 'stats count entries, distinct hashes and publishers')
  })

  t.test('registry: online publishers first, keyset paging', async (t) => {
    const { store } = await withStore(t, factory)
    const a = await client(store, 1, 'a@example.com')
    const b = await client(store, 2, 'b@example.com')
    const c = await client(store, 3, 'c@example.com')
    for (const who of [a, b, c]) await publish(store, who, [file('x/one.bin', 7), file('x/two.bin', 7)])
    await online(store, c, T0, 60_000)
    const all = await store.searchRegistry({ by: 'sha256', value: hash(7), now: T0 + 1, limit: 100 })
    t.same(brief(all), [
      '+c@example.com:x/one.bin', '+c@example.com:x/two.bin',
      '-a@example.com:x/one.bin', '-a@example.com:x/two.bin', '-b@example.com:x/one.bin', '-b@example.com:x/two.bin',
    ], 'the online publisher comes first, then e-mail and path order')

    const pages: string[] = []
    let after: { online: boolean; email: string; path: string } | undefined
    for (let i = 0; i < 10; i++) {
      const page = await store.searchRegistry({ by: 'sha256', value: hash(7), now: T0 + 1, limit: 4, after })
      pages.push(...brief(page))
      const last = page[page.length - 1]
      if (page.length < 4 || !last) break
      after = { online: last.online, email: last.email, path: last.path }
    }
    t.same(pages, brief(all), 'pages of 4 walk the same order without gaps or repeats')
    const expired = await store.searchRegistry({ by: 'sha256', value: hash(7), now: T0 + 60_000, limit: 100 })
    t.ok(expired.every((h) => !h.online), 'once the broadcast expires the publisher is offline, swept or not')
  })

  t.test('registry: unpublish by path, by name, all', async (t) => {
    const { store } = await withStore(t, factory)
    const a = await client(store, 1)
    const b = await client(store, 2)
    await publish(store, a, [file('a.txt', 1), file('dir/b.txt', 2), file('dir/c.txt', 3), file('d.txt', 4)])
    await publish(store, b, [file('a.txt', 1)])
    t.equal(await store.unpublishFiles(a.id, ['a.txt', 'nope.txt']), 1, 'unpublishing counts what existed')
    t.equal(await store.unpublishFiles(b.id, ['dir/b.txt']), 0, 'one identity cannot remove another one\'s entries')
    t.equal(await store.unpublishByName(a.id, 'b.txt', hash(99)), 0, 'the older remove needs the hash to match when given')
    t.equal(await store.unpublishByName(a.id, 'b.txt', hash(2)), 1, 'and removes by name and hash')
    t.equal(await store.unpublishByName(a.id, 'dir/c.txt'), 1, 'or by path')
    t.same(await store.registryStats(), { files: 2, hashes: 2, peers: 2 }, 'two entries are left')
    t.equal(await store.unpublishAll(a.id), 1, 'unpublishing all removes the rest')
    t.equal(await store.unpublishAll(a.id), 0, 'twice is harmless')
    t.same(await store.registryStats(), { files: 1, hashes: 1, peers: 1 }, 'the other publisher keeps its entry')
  })

  t.test('registry: the per-identity quota is all or nothing', async (t) => {
    const { store } = await withStore(t, factory)
    const a = await client(store, 1)
    t.same(await publish(store, a, [file('1'), file('2'), file('3')], T0, 4), { outcome: 'stored', stored: 3, total: 3 }, 'under the quota: stored')
    t.same(await publish(store, a, [file('3'), file('4'), file('5')], T0, 4), { outcome: 'quota_exceeded', total: 5 }, 'over it: refused')
    t.equal((await store.registryStats()).files, 3, 'and nothing of the refused request was kept')
    t.same(await publish(store, a, [file('3'), file('4')], T0, 4), { outcome: 'stored', stored: 2, total: 4 }, 'updates do not count twice')
  })

  t.test('registry: distinct names in order, paged', async (t) => {
    const { store } = await withStore(t, factory)
    const a = await client(store, 1)
    const b = await client(store, 2)
    await publish(store, a, [file('x/b.txt'), file('y/b.txt'), file('a.txt'), file('c.txt')])
    await publish(store, b, [file('b.txt'), file('d.txt')])
    t.same(await store.registryNames({ limit: 10 }), ['a.txt', 'b.txt', 'c.txt', 'd.txt'], 'each name once, in order')
    t.same(await store.registryNames({ limit: 2, afterName: 'a.txt' }), ['b.txt', 'c.txt'], 'paged after a name')
  })

  t.test('registry: entries of offline publishers expire after the retention', async (t) => {
    const { store } = await withStore(t, factory)
    const a = await client(store, 1, 'a@example.com')
    const b = await client(store, 2, 'b@example.com')
    const c = await client(store, 3, 'c@example.com')
    await publish(store, a, [file('1', 1), file('2', 2), file('3', 3)], T0)
    await publish(store, b, [file('1', 1)], T0)
    await publish(store, c, [file('1', 1)], T0)
    // a broadcasts until T0 + 1 day; b never broadcasts; c stays online throughout.
    await online(store, a, T0, DAY)
    await online(store, c, T0, 30 * DAY)
    t.equal(await store.refreshRegistryOnline(T0 + 1000, 100), 2, 'the sweep notes when the live broadcasts expire')
    t.equal(await store.refreshRegistryOnline(T0 + 2000, 100), 0, 'and has nothing more to note until they change')
    await store.deleteExpiredBroadcasts(T0 + DAY, 100)

    const retention = 7 * DAY
    let now = T0 + 7 * DAY + 1000
    t.equal(await store.deleteOfflineRegistryEntries(now - retention, now, 100), 2, 'b, silent since its publish 7 days ago, loses its entry (and its row)')
    t.same(brief(await store.searchRegistry({ by: 'sha256', value: hash(1), now, limit: 10 })), ['+c@example.com:1', '-a@example.com:1'], 'a (offline only 6 days) and c (online) keep theirs')
    now = T0 + 8 * DAY + 1000
    let deleted = 0
    for (let batch = 0; batch < 10; batch++) {
      const n = await store.deleteOfflineRegistryEntries(now - retention, now, 2)
      deleted += n
      if (n < 2) break
    }
    t.equal(deleted, 4, 'a goes 7 days after its broadcast expired, in batches (three entries and its row)')
    t.same(brief(await store.searchRegistry({ by: 'sha256', value: hash(1), now, limit: 10 })), ['+c@example.com:1'], 'the online publisher is never expired')
    t.same(await store.registryStats(), { files: 1, hashes: 1, peers: 1 }, 'one entry is left')
    await publish(store, a, [file('again', 5)], now)
    t.same(brief(await store.searchRegistry({ by: 'sha256', value: hash(5), now, limit: 10 })), ['-a@example.com:again'], 'a publisher that comes back can publish again')
  })

  t.test('registry: entries need a registered client and survive a reopen', async (t) => {
    const s = await withStore(t, factory)
    await t.rejects(
      publish(s.store, { id: '00000000-0000-4000-8000-000000000000', email: 'x@example.com', fingerprint: fp(5), certificatePem: '', registeredAt: T0 }, [file('f')]),
      'the store refuses entries of an unknown client',
    )
    const a = await client(s.store, 1)
    await publish(s.store, a, [file('kept.txt', 4)])
    const reopened = await s.reopen()
    t.same(brief(await reopened.searchRegistry({ by: 'name', value: 'kept', now: T0, limit: 10 })), ['-user1@example.com:kept.txt'], 'entries survive closing and reopening')
  })

  t.test('shared secrets: the first writer wins', async (t) => {
    const s = await withStore(t, factory)
    const first = await s.store.sharedSecret('matchmaker', Buffer.alloc(32, 1), T0)
    t.same([...first], [...Buffer.alloc(32, 1)], 'the first candidate is stored')
    const second = await s.store.sharedSecret('matchmaker', Buffer.alloc(32, 2), T0)
    t.same([...second], [...first], 'a later candidate gets the stored secret')
    const other = await s.store.sharedSecret('other', Buffer.alloc(16, 3), T0)
    t.equal(other.length, 16, 'names are independent')
    const racing = await Promise.all([1, 2, 3, 4].map((n) => s.store.sharedSecret('race', Buffer.alloc(32, n), T0)))
    t.ok(racing.every((v) => v.equals(racing[0] as Buffer)), 'concurrent first writers all end up with one secret')
    const reopened = await s.reopen()
    t.same([...(await reopened.sharedSecret('matchmaker', Buffer.alloc(32, 9), T0))], [...first], 'the secret survives a reopen')
  })
}
