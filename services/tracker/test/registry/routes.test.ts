/** The registry API and its older names through buildApp + inject: every status and field of the contract. */
import t from 'tap'
import { as, buildTestApp, makeIdentity, register, type TestIdentity } from '../helper.js'
import type { TrackerApp } from '../../src/app.js'

const alice = await makeIdentity('alice@example.com')
const bob = await makeIdentity('bob@example.com')
const stranger = await makeIdentity('stranger@example.com')

const sha = (n: number) => n.toString(16).padStart(64, '0')
const DAY_MS = 24 * 3600 * 1000

function publish(app: TrackerApp, id: TestIdentity, files: unknown[]) {
  return app.inject({ method: 'POST', url: '/api/registry/files', headers: as(id), payload: { files } })
}

function search(app: TrackerApp, id: TestIdentity, query: string) {
  return app.inject({ url: `/api/registry/search?${query}`, headers: as(id) })
}

function ready(app: TrackerApp, id: TestIdentity) {
  return app.inject({ method: 'POST', url: '/api/relay/broadcast/ready', headers: as(id), payload: { port: 4443, addresses: ['192.0.2.1'] } })
}

t.test('publish and search', async (t) => {
  const { app } = await buildTestApp(t)
  await register(app, alice)
  await register(app, bob)
  const res = await publish(app, alice, [
    { path: 'music/Holiday.mp3', name: 'Holiday.mp3', sha256: sha(1).toUpperCase(), size: 4_000_000 },
    { path: 'notes/todo.txt', name: 'todo.txt', sha256: sha(2), size: 12 },
    { path: 'notes/todo.txt', name: 'todo.txt', sha256: sha(3), size: 13 },
  ])
  t.equal(res.statusCode, 200, 'publishing answers 200')
  t.same(res.json(), { files: 2 }, 'two entries were stored (the repeated path counts once, the last one wins)')
  await publish(app, bob, [{ path: 'holiday.MP3', name: 'holiday.MP3', sha256: sha(1), size: 4_000_000 }])

  const byName = await search(app, bob, 'name=HOLIDAY')
  t.equal(byName.statusCode, 200, 'a name search answers 200')
  t.same(byName.json(), [
    { email: 'alice@example.com', fingerprint: alice.fingerprint, path: 'music/Holiday.mp3', name: 'Holiday.mp3', sha256: sha(1), size: 4_000_000, online: false },
    { email: 'bob@example.com', fingerprint: bob.fingerprint, path: 'holiday.MP3', name: 'holiday.MP3', sha256: sha(1), size: 4_000_000, online: false },
  ], 'a case-insensitive substring match over names, hashes stored in lower case')
  t.same((await search(app, bob, 'name=todo')).json().map((h: { sha256: string }) => h.sha256), [sha(3)], 'the last entry for a path is the one kept')
  const byHash = await search(app, alice, `sha256=${sha(1).toUpperCase()}`)
  t.equal(byHash.json().length, 2, 'a hash search (any case) finds both copies')

  await ready(app, bob)
  t.same((await search(app, alice, `sha256=${sha(1)}`)).json().map((h: { email: string; online: boolean }) => [h.email, h.online]), [
    ['bob@example.com', true],
    ['alice@example.com', false],
  ], 'a publisher with a live broadcast is online and comes first')

  const stats = await app.inject({ url: '/api/registry/stats' })
  t.equal(stats.statusCode, 200, 'stats need no certificate')
  t.same(stats.json(), { files: 3, hashes: 2, peers: 2 }, 'stats count entries, distinct hashes and publishers')
})

t.test('search paging follows the Link header', async (t) => {
  const { app } = await buildTestApp(t)
  await register(app, alice)
  const files = Array.from({ length: 25 }, (_, i) => ({ path: `dir/file-${String(i).padStart(2, '0')}.bin`, name: `file-${String(i).padStart(2, '0')}.bin`, sha256: sha(7), size: i }))
  await publish(app, alice, files)
  const seen: string[] = []
  let url: string | undefined = '/api/registry/search?name=file-&limit=10'
  let pages = 0
  while (url && pages < 10) {
    const res = await app.inject({ url, headers: as(alice) })
    t.equal(res.statusCode, 200, `page ${++pages} answers 200`)
    seen.push(...res.json().map((h: { path: string }) => h.path))
    const link = res.headers.link as string | undefined
    url = link ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] : undefined
    if (link) t.match(link, /^<\/api\/registry\/search\?name=file-&limit=10&cursor=[A-Za-z0-9_-]+>; rel="next"$/, 'the Link header names the next page with the same query')
  }
  t.equal(pages, 3, 'three pages of 10, 10 and 5')
  t.same(seen, files.map((f) => f.path), 'every entry once, in path order')
  const bad = await search(app, alice, 'name=file-&cursor=bm90IGEgY3Vyc29y')
  t.match(bad.json(), { error: 'validation_failed', message: /cursor/ }, 'a cursor the tracker did not hand out is a 400')
})

t.test('search validation', async (t) => {
  const { app } = await buildTestApp(t)
  await register(app, alice)
  const cases: [string, RegExp][] = [
    ['', /exactly one of name/],
    [`name=ab&sha256=${sha(1)}`, /exactly one of name/],
    ['name=a', /name/],
    ['sha256=xyz', /sha256/],
    ['name=ab&limit=0', /limit/],
    ['name=ab&limit=5001', /limit/],
    ['name=ab&extra=1', /extra/],
  ]
  for (const [query, message] of cases) {
    const res = await search(app, alice, query)
    t.equal(res.statusCode, 400, `?${query}: 400`)
    t.match(res.json(), { error: 'validation_failed', message }, `?${query}: the problem is named`)
  }
  t.equal((await search(app, alice, 'name=%25')).statusCode, 400, 'a one-character name (even a wildcard) is refused')
  t.same((await search(app, alice, 'name=%25%25')).json(), [], 'wildcards are searched for literally')
})

t.test('who may do what', async (t) => {
  const { app } = await buildTestApp(t)
  await register(app, alice)
  const file = { path: 'a.txt', name: 'a.txt', sha256: sha(1), size: 1 }
  const anonymous = await app.inject({ method: 'POST', url: '/api/registry/files', payload: { files: [file] } })
  t.equal(anonymous.statusCode, 401, 'publishing without a certificate: 401')
  t.equal(anonymous.json().error, 'client_certificate_required', 'with the client_certificate_required code')
  const unregistered = await publish(app, stranger, [file])
  t.equal(unregistered.statusCode, 403, 'publishing with an unregistered certificate: 403')
  t.equal(unregistered.json().error, 'not_registered', 'with the not_registered code')
  t.equal((await app.inject({ url: '/api/registry/search?name=ab' })).statusCode, 401, 'searching without a certificate: 401')
  t.equal((await search(app, stranger, 'name=ab')).statusCode, 403, 'searching unregistered: 403')
  t.equal((await app.inject({ method: 'DELETE', url: '/api/registry/files?all=true', headers: as(stranger) })).statusCode, 403, 'unpublishing unregistered: 403')
  for (const url of ['/peers?filename=a.txt', '/all_trackers']) {
    t.equal((await app.inject({ url })).statusCode, 401, `GET ${url} without a certificate: 401`)
  }
  for (const url of [`/add?filename=a.txt&hash=${sha(1)}`, '/remove?filename=a.txt', '/peer_offline']) {
    t.equal((await app.inject({ method: 'POST', url, headers: as(stranger) })).statusCode, 403, `POST ${url.split('?')[0]} unregistered: 403`)
  }
})

t.test('publish validation and size limits', async (t) => {
  const { app } = await buildTestApp(t)
  await register(app, alice)
  const ok = { path: 'a.txt', name: 'a.txt', sha256: sha(1), size: 1 }
  const cases: [unknown, RegExp, string][] = [
    [{ files: [] }, /files/, 'an empty list'],
    [{ files: [{ ...ok, sha256: 'abc' }] }, /sha256/, 'a short hash'],
    [{ files: [{ ...ok, size: -1 }] }, /size/, 'a negative size'],
    [{ files: [{ ...ok, size: 1.5 }] }, /size/, 'a fractional size'],
    [{ files: [{ ...ok, name: 'a/b' }] }, /name/, 'a name with a separator'],
    [{ files: [{ ...ok, path: 'a\u0000b' }] }, /path/, 'a path with a NUL'],
    [{ files: [{ ...ok, path: 'x'.repeat(1025) }] }, /path/, 'a path over 1024 characters'],
    [{ files: [{ ...ok, owner: 'bob' }] }, /owner/, 'an unknown field'],
    [{ files: Array.from({ length: 1001 }, (_, i) => ({ ...ok, path: `f${i}` })) }, /files/, '1001 entries'],
  ]
  for (const [payload, message, what] of cases) {
    const res = await app.inject({ method: 'POST', url: '/api/registry/files', headers: as(alice), payload: payload as object })
    t.equal(res.statusCode, 400, `${what}: 400`)
    t.match(res.json(), { error: 'validation_failed', message }, `${what}: the field is named`)
  }
  // 1000 entries with long paths: far above the 64 KiB of other routes, under the 1 MiB of this one.
  const big = Array.from({ length: 1000 }, (_, i) => ({ path: `${'deep/'.repeat(150)}${i}.bin`, name: `${i}.bin`, sha256: sha(i), size: i }))
  const bigBody = JSON.stringify({ files: big })
  t.ok(bigBody.length > 700_000 && bigBody.length < 1024 * 1024, `the body is ${bigBody.length} bytes`)
  const accepted = await app.inject({ method: 'POST', url: '/api/registry/files', headers: { ...as(alice), 'content-type': 'application/json' }, payload: bigBody })
  t.equal(accepted.statusCode, 200, '1000 entries in ~770 KB are accepted')
  t.same(accepted.json(), { files: 1000 }, 'and all stored')
  const tooBig = JSON.stringify({ files: [{ ...ok, path: 'x'.repeat(1024 * 1024) }] })
  const refused = await app.inject({ method: 'POST', url: '/api/registry/files', headers: { ...as(alice), 'content-type': 'application/json' }, payload: tooBig })
  t.equal(refused.statusCode, 413, 'a body over 1 MiB: 413')
  t.equal(refused.json().error, 'payload_too_large', 'with the payload_too_large code')
  const form = await app.inject({ method: 'POST', url: '/api/registry/files', headers: { ...as(alice), 'content-type': 'application/x-www-form-urlencoded' }, payload: 'files=1' })
  t.equal(form.statusCode, 415, 'a form post is refused (415)')
})

t.test('unpublish', async (t) => {
  const { app } = await buildTestApp(t)
  await register(app, alice)
  await publish(app, alice, ['a.txt', 'b.txt', 'c.txt', 'd.txt'].map((p, i) => ({ path: p, name: p, sha256: sha(i), size: i })))
  const some = await app.inject({ method: 'DELETE', url: '/api/registry/files', headers: as(alice), payload: { paths: ['a.txt', 'b.txt', 'missing.txt'] } })
  t.equal(some.statusCode, 200, 'unpublishing paths answers 200')
  t.same(some.json(), { files: 2 }, 'with how many entries went')
  const noBody = await app.inject({ method: 'DELETE', url: '/api/registry/files', headers: as(alice) })
  t.match(noBody.json(), { error: 'validation_failed', message: /paths/ }, 'without a body (and without ?all=true): 400')
  const badBody = await app.inject({ method: 'DELETE', url: '/api/registry/files', headers: as(alice), payload: { paths: [] } })
  t.match(badBody.json(), { error: 'validation_failed', message: /paths/ }, 'an empty list: 400 naming paths')
  const extra = await app.inject({ method: 'DELETE', url: '/api/registry/files', headers: as(alice), payload: { paths: ['c.txt'], all: true } })
  t.match(extra.json(), { error: 'validation_failed', message: /all/ }, 'an unknown field in the body: 400')
  const all = await app.inject({ method: 'DELETE', url: '/api/registry/files?all=true', headers: as(alice) })
  t.same(all.json(), { files: 2 }, '?all=true removes the rest')
  t.same((await app.inject({ url: '/api/registry/stats' })).json(), { files: 0, hashes: 0, peers: 0 }, 'nothing is left')
})

t.test('a publisher over its quota: 409 registry_full, nothing stored', async (t) => {
  const { app } = await buildTestApp(t, { config: { registryMaxFilesPerPeer: 3 } })
  await register(app, alice)
  const files = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ path: `f${from + i}`, name: `f${from + i}`, sha256: sha(1), size: 1 }))
  t.equal((await publish(app, alice, files(0, 2))).statusCode, 200, 'two entries fit')
  const over = await publish(app, alice, files(2, 2))
  t.equal(over.statusCode, 409, 'two more do not')
  t.match(over.json(), { error: 'registry_full', message: /at most 3/ }, 'the error says what the quota is')
  t.equal((await app.inject({ url: '/api/registry/stats' })).json().files, 2, 'and none of the refused request was kept')
})

t.test('entries of a publisher offline for 7 days are swept; an online one keeps them', async (t) => {
  const { app, clock } = await buildTestApp(t, { sweeper: true, config: { sweepIntervalS: 0 } })
  await register(app, alice)
  await register(app, bob)
  const file = (who: string) => [{ path: `${who}.txt`, name: `${who}.txt`, sha256: sha(5), size: 5 }]
  await publish(app, alice, file('alice'))
  await publish(app, bob, file('bob'))
  await ready(app, alice)
  await ready(app, bob)
  const start = clock.now
  await app.sweeper.runOnce(clock.now)
  // Bob keeps heartbeating; alice goes silent and her broadcast (1 h) expires.
  for (let day = 1; day <= 8; day++) {
    clock.now = start + day * DAY_MS
    await ready(app, bob)
    await app.sweeper.runOnce(clock.now)
    const hits = (await search(app, bob, `sha256=${sha(5)}`)).json().map((h: { email: string; online: boolean }) => `${h.email}:${h.online}`)
    if (day <= 7) t.same(hits, ['bob@example.com:true', 'alice@example.com:false'], `day ${day}: alice's entry stays, marked offline`)
    else t.same(hits, ['bob@example.com:true'], `day ${day}: more than 7 days after her broadcast expired, alice's entry is gone`)
  }
  t.same((await app.inject({ url: '/api/registry/stats' })).json(), { files: 1, hashes: 1, peers: 1 }, 'the stats agree')
})

t.test('the older design\'s names', async (t) => {
  const { app } = await buildTestApp(t)
  await register(app, alice)
  await register(app, bob)
  const add = await app.inject({ method: 'POST', url: `/add?filename=${encodeURIComponent('movies/film.mkv')}&hash=${sha(9)}&size=700`, headers: as(alice) })
  t.equal(add.statusCode, 200, 'POST /add answers 200')
  t.same(add.json(), { status: 'ok' }, 'with the old reply')
  await app.inject({ method: 'POST', url: `/add?filename=film.mkv&hash=${sha(9)}`, headers: as(bob) })
  await app.inject({ method: 'POST', url: `/add?filename=other.txt&hash=${sha(8)}`, headers: as(bob) })
  await ready(app, bob)

  const byName = await app.inject({ url: '/peers?filename=film.mkv', headers: as(alice) })
  t.equal(byName.statusCode, 200, 'GET /peers?filename answers 200')
  t.same(byName.json(), {
    filename: 'film.mkv',
    peers: [
      { email: 'bob@example.com', fingerprint: bob.fingerprint, online: true },
      { email: 'alice@example.com', fingerprint: alice.fingerprint, online: false },
    ],
  }, 'every publisher of that exact name, online first (the name of a path counts)')
  t.same((await app.inject({ url: '/peers?filename=FILM.mkv', headers: as(alice) })).json().peers, [], 'the name match is exact')
  const byHash = await app.inject({ url: `/peers?hash=${sha(8).toUpperCase()}`, headers: as(alice) })
  t.same(byHash.json(), { hash: sha(8), peers: [{ email: 'bob@example.com', fingerprint: bob.fingerprint, online: true }] }, 'GET /peers?hash lists the publishers of that content')
  t.equal((await app.inject({ url: '/peers', headers: as(alice) })).statusCode, 400, 'GET /peers needs filename or hash')

  const names = await app.inject({ url: '/all_trackers', headers: as(alice) })
  t.same(names.json(), { files: ['film.mkv', 'other.txt'] }, 'GET /all_trackers lists the distinct file names')
  const paged = await app.inject({ url: '/all_trackers?limit=1', headers: as(alice) })
  t.same(paged.json(), { files: ['film.mkv'] }, 'paged with limit')
  const next = /^<([^>]+)>; rel="next"$/.exec(String(paged.headers.link))?.[1]
  t.same((await app.inject({ url: next as string, headers: as(alice) })).json(), { files: ['other.txt'] }, 'and a Link to the next page')

  const remove = await app.inject({ method: 'POST', url: `/remove?filename=film.mkv&hash=${sha(9)}`, headers: as(bob) })
  t.same(remove.json(), { status: 'ok', files: 1 }, 'POST /remove takes the caller\'s entry away')
  t.same((await app.inject({ url: '/peers?filename=film.mkv', headers: as(alice) })).json().peers.map((p: { email: string }) => p.email), ['alice@example.com'], 'only the caller\'s')

  const offline = await app.inject({ method: 'POST', url: '/peer_offline', headers: as(bob) })
  t.same(offline.json(), { status: 'removed', files: 1 }, 'POST /peer_offline removes the caller\'s entries')
  const lookup = await app.inject({ url: '/api/relay/broadcast/lookup?email=bob@example.com', headers: as(alice) })
  t.equal(lookup.statusCode, 404, 'and its broadcast')
  const bad = await app.inject({ method: 'POST', url: `/add?filename=dir/&hash=${sha(1)}`, headers: as(alice) })
  t.match(bad.json(), { error: 'validation_failed', message: /filename/ }, 'a filename that names a folder is refused')
})
