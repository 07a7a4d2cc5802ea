/**
 * The registry over real mutual TLS with two identities on an in-process tracker: publish, search,
 * paging, the online flag, the older design's names, and expiry of an offline publisher's entries.
 */
import t from 'tap'
import { startTracker } from '../../src/start.js'
import { https, makeIdentity, opensslIdentity, type HttpsReply, type TestIdentity } from '../helper.js'

const alice = await makeIdentity('alice@example.com')
const bob = opensslIdentity('bob@example.com', 'ed25519')
const sha = (n: number) => n.toString(16).padStart(64, 'f')

interface Hit {
  email: string
  fingerprint: string
  path: string
  online: boolean
}
const hits = (r: HttpsReply) => r.json() as Hit[]

t.test('two peers over mutual TLS', async (t) => {
  // Retention 0: an offline publisher's entries go at the next sweep (the 7-day rule is tested with a clock in routes.test.ts).
  const tracker = await startTracker({ logger: false, rateLimitPerMin: 0, sweepIntervalS: 0, registryOfflineRetentionS: 0 })
  t.teardown(() => tracker.close())
  const call = (identity: TestIdentity | undefined, path: string, body?: unknown, method?: string) =>
    https(tracker.url, { path, ...(identity ? { identity } : {}), ...(body === undefined ? {} : { body }), ...(method ? { method } : {}) })

  for (const id of [alice, bob]) {
    const res = await call(id, '/api/relay/register', { certificate: id.certPem, email: id.email })
    t.equal(res.status, 200, `${id.email} registers`)
    t.equal(res.serverFingerprint, tracker.fingerprint, 'the tracker presents the certificate it announced')
  }

  const files = Array.from({ length: 7 }, (_, i) => ({ path: `photos/2024/IMG_${1000 + i}.jpg`, name: `IMG_${1000 + i}.jpg`, sha256: sha(i), size: 1000 + i }))
  const published = await call(alice, '/api/registry/files', { files })
  t.equal(published.status, 200, 'alice publishes over TLS')
  t.same(published.json(), { files: 7 }, 'seven entries stored')
  t.equal((await call(undefined, '/api/registry/files', { files })).status, 401, 'without a client certificate publishing is refused')

  const first = await call(bob, '/api/registry/search?name=img_10&limit=3')
  t.equal(first.status, 200, 'bob searches alice\'s files')
  t.same(hits(first).map((h) => h.path), files.slice(0, 3).map((f) => f.path), 'the first page holds three hits')
  t.ok(hits(first).every((h) => h.email === alice.email && h.fingerprint === alice.fingerprint && !h.online), 'each names alice and her fingerprint, offline (no broadcast yet)')
  const collected = [...hits(first)]
  let link = first.headers.link as string | undefined
  while (link) {
    const next = /^<([^>]+)>; rel="next"$/.exec(link)?.[1] as string
    const page = await call(bob, next)
    t.equal(page.status, 200, `the Link ${next.slice(0, 40)}… answers over TLS`)
    collected.push(...hits(page))
    link = page.headers.link as string | undefined
  }
  t.same(collected.map((h) => h.path), files.map((f) => f.path), 'following Link walks all seven once, in order')

  const ready = await call(alice, '/api/relay/broadcast/ready', { port: 4443, addresses: ['0.0.0.0', '2001:db8::7'] })
  t.equal(ready.status, 200, 'alice goes online')
  const lookup = await call(bob, `/api/relay/broadcast/lookup?email=${alice.email}`)
  t.same((lookup.json() as { addresses: string[] }).addresses, ['127.0.0.1', '2001:db8::7'], 'her unspecified address was replaced by the address the tracker saw')
  const online = await call(bob, `/api/registry/search?sha256=${sha(3)}`)
  t.same(hits(online).map((h) => h.online), [true], 'her entries are online now')

  // The older names, bob acting as an old client.
  const add = await call(bob, `/add?filename=IMG_1003.jpg&hash=${sha(3)}`, undefined, 'POST')
  t.same(add.json(), { status: 'ok' }, 'POST /add over TLS')
  const peers = await call(alice, `/peers?hash=${sha(3)}`)
  t.same(peers.json(), {
    hash: sha(3),
    peers: [
      { email: alice.email, fingerprint: alice.fingerprint, online: true },
      { email: bob.email, fingerprint: bob.fingerprint, online: false },
    ],
  }, 'GET /peers?hash lists both publishers, the online one first')
  t.same(((await call(alice, '/peers?filename=IMG_1003.jpg')).json() as { peers: unknown[] }).peers.length, 2, 'GET /peers?filename finds both by exact name')
  t.equal(((await call(alice, '/all_trackers')).json() as { files: string[] }).files.length, 7, 'GET /all_trackers counts distinct names')
  t.same((await call(undefined, '/api/registry/stats')).json(), { files: 8, hashes: 7, peers: 2 }, 'anyone may read the stats')

  // Alice leaves; with retention 0 the next sweep takes her entries, bob's (never online) too.
  t.equal((await call(alice, '/api/relay/broadcast/offline', undefined, 'POST')).status, 204, 'alice goes offline')
  t.same(hits(await call(bob, `/api/registry/search?sha256=${sha(3)}`)).map((h) => h.online), [false, false], 'her entries stay, marked offline, until the sweep')
  await tracker.app.sweeper.runOnce()
  t.same((await call(bob, '/api/registry/search?name=img')).json(), [], 'after the sweep the offline publishers\' entries are gone')
  t.same((await call(undefined, '/api/registry/stats')).json(), { files: 0, hashes: 0, peers: 0 }, 'the stats agree')

  const offline = await call(bob, '/peer_offline', undefined, 'POST')
  t.same(offline.json(), { status: 'removed', files: 0 }, 'POST /peer_offline over TLS')
})
