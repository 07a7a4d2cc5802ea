/**
 * RegistryClient and the publisher against the real tracker over mutual TLS: publish, search with
 * paging, unpublish, stats, matchmaker tokens, pinning; then a share published end to end and found
 * by another peer.
 */
import t from 'tap'
import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RegistryClient } from '../../src/publish/registry-client.js'
import { startPublisher } from '../../src/publish/publisher.js'
import { TrackerHttpError, TrackerUnreachableError } from '../../src/runtime/errors.js'
import { makeIdentity, makeShare, startTestTracker, trackerClientFor } from '../runtime/helper.js'

const sha = (n: number) => n.toString(16).padStart(64, '0')

t.test('registry client over mutual TLS', async (t) => {
  const tracker = await startTestTracker(t, { matchmakerBind: { port: 0 } })
  const alice = await makeIdentity('alice@example.com')
  const bob = await makeIdentity('bob@example.com')
  await trackerClientFor(t, tracker, alice).register()
  await trackerClientFor(t, tracker, bob).register()
  const client = (id: typeof alice) => {
    const c = new RegistryClient({ url: tracker.url, identity: { certPem: id.certPem, keyPem: id.keyPem }, verify: { kind: 'fingerprint', fingerprint: tracker.fingerprint } })
    t.teardown(() => c.close())
    return c
  }
  const a = client(alice)
  const b = client(bob)

  const files = Array.from({ length: 12 }, (_, i) => ({ path: `docs/report-${i}.pdf`, name: `report-${i}.pdf`, sha256: sha(i), size: 100 + i }))
  t.same(await a.publish(files), { files: 12 }, 'publish stores twelve entries')
  const pages: number[] = []
  for await (const page of b.searchPages({ name: 'REPORT' }, { pageSize: 5 })) pages.push(page.length)
  t.same(pages, [5, 5, 2], 'searchPages follows the Link header page by page')
  const first = await b.searchPage({ name: 'report' }, { limit: 5 })
  t.equal(first.hits.length, 5, 'searchPage answers one page')
  t.type(first.nextCursor, 'string', 'with the cursor of the next')
  const second = await b.searchPage({ name: 'report' }, { limit: 5, cursor: first.nextCursor as string })
  const everything = (await b.search({ name: 'report' })).map((h) => h.path)
  t.same([...first.hits, ...second.hits].map((h) => h.path), everything.slice(0, 10), 'the cursor continues where the first page ended')
  const third = await b.searchPage({ name: 'report' }, { limit: 5, cursor: second.nextCursor as string })
  t.same([third.hits.length, third.nextCursor], [2, undefined], 'the last page has no cursor')
  const all = await b.search({ name: 'report' })
  t.equal(all.length, 12, 'search gathers every page')
  t.match(all[0], { email: 'alice@example.com', fingerprint: alice.fingerprint, path: 'docs/report-0.pdf', sha256: sha(0), size: 100, online: false }, 'hits carry the publisher and the entry')
  t.equal((await b.search({ name: 'report' }, { max: 3 })).length, 3, 'max bounds the result')
  t.same((await b.search({ sha256: sha(7).toUpperCase() })).map((h) => h.path), ['docs/report-7.pdf'], 'a hash search')
  t.same(await b.stats(), { files: 12, hashes: 12, peers: 1 }, 'stats')
  t.same(await a.unpublish(['docs/report-0.pdf', 'nope']), { files: 1 }, 'unpublish by path')
  t.same(await a.unpublishAll(), { files: 11 }, 'unpublish everything')

  const token = await a.matchmakerToken()
  t.equal(token.port, tracker.matchmaker?.port, 'a matchmaker token names the UDP port')
  t.ok(token.token.length > 40 && token.expires_in > 0, 'and carries a token and its lifetime')

  await t.rejects(a.publish([]), RangeError, 'an empty publish is refused before any request')
  const bad = await a.publish([{ path: 'x', name: 'x', sha256: 'nothex', size: 1 }]).catch((err: unknown) => err)
  t.ok(bad instanceof TrackerHttpError && bad.status === 400 && bad.code === 'validation_failed', 'a refused request is a TrackerHttpError with the tracker\'s code')

  const stranger = await makeIdentity('stranger@example.com')
  const s = client(stranger)
  const refused = await s.publish(files.slice(0, 1)).catch((err: unknown) => err)
  t.ok(refused instanceof TrackerHttpError && refused.status === 403, 'an unregistered certificate: 403')

  const pinnedWrong = new RegistryClient({ url: tracker.url, identity: { certPem: alice.certPem, keyPem: alice.keyPem }, verify: { kind: 'fingerprint', fingerprint: sha(1) } })
  t.teardown(() => pinnedWrong.close())
  const impostor = await pinnedWrong.stats().catch((err: unknown) => err)
  t.ok(impostor instanceof TrackerUnreachableError && impostor.code === 'tracker_untrusted', 'a tracker that is not the pinned one is refused (tracker_untrusted)')
})

t.test('a share published end to end and found by another peer', async (t) => {
  const tracker = await startTestTracker(t)
  const alice = await makeIdentity('alice@example.com')
  const bob = await makeIdentity('bob@example.com')
  await trackerClientFor(t, tracker, alice).register()
  await trackerClientFor(t, tracker, bob).register()
  const base = await mkdtemp(join(tmpdir(), 'fb-publish-e2e-'))
  t.teardown(() => rm(base, { recursive: true, force: true }))
  const root = await makeShare(join(base, 'share'), { 'music/theme.ogg': Buffer.alloc(200_000, 3) })
  const registry = new RegistryClient({ url: tracker.url, identity: alice, verify: { kind: 'fingerprint', fingerprint: tracker.fingerprint } })
  t.teardown(() => registry.close())
  const publisher = await startPublisher({ root, registry, cacheFile: join(base, 'hash-cache.json'), watch: false, rescanIntervalMs: 0, syncDelayMs: 10 })
  t.teardown(() => publisher.stop())
  await publisher.whenIdle()
  t.equal(publisher.progress().published, 3, 'three files published')

  const searcher = new RegistryClient({ url: tracker.url, identity: bob, verify: { kind: 'fingerprint', fingerprint: tracker.fingerprint } })
  t.teardown(() => searcher.close())
  const hits = await searcher.search({ name: 'theme' })
  t.same(hits.map((h) => [h.email, h.path, h.size]), [['alice@example.com', 'music/theme.ogg', 200_000]], 'bob finds alice\'s file by name')
  const expected = createHash('sha256').update(Buffer.alloc(200_000, 3)).digest('hex')
  t.equal(hits[0]?.sha256, expected, 'with the SHA-256 of its content')
  t.same((await searcher.search({ sha256: expected })).map((h) => h.path), ['music/theme.ogg'], 'and by that hash')

  await writeFile(join(root, 'notes/plan.md'), '# Plan v2\n')
  await publisher.rescan()
  await publisher.whenIdle()
  const plan = await searcher.search({ name: 'plan.md' })
  t.equal(plan[0]?.sha256, createHash('sha256').update('# Plan v2\n').digest('hex'), 'an edited file is found with its new hash')
})
