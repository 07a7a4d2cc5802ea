/**
 * The tracker over real HTTPS with mutual TLS on 127.0.0.1 (port 0): client certificates made by
 * shared/identity and by the openssl CLI, the whole register → ready → lookup → expiry cycle,
 * restart persistence, and the same certificate checks a real client meets.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTracker } from '../src/start.js'
import { https, makeIdentity, opensslIdentity, sleep, writeIdentityFiles, type TestIdentity } from './helper.js'

const READY = { port: 4443, addresses: ['127.0.0.1', '::1'], capabilities: { preview: true } }

t.test('identities of every supported kind register, announce and find each other', async (t) => {
  const tracker = await startTracker({ logger: false, rateLimitPerMin: 0 })
  t.teardown(() => tracker.close())
  t.match(tracker.url, /^https:\/\/127\.0\.0\.1:\d+$/, 'the tracker reports its URL')

  const identities: [string, TestIdentity][] = [
    ['shared/identity P-256', await makeIdentity('id-p256@example.com')],
    ['shared/identity Ed25519', await makeIdentity('id-ed25519@example.com', { keyType: 'ed25519' })],
    ['openssl Ed25519', opensslIdentity('ossl-ed25519@example.com', 'ed25519')],
    ['openssl P-256', opensslIdentity('ossl-p256@example.com', 'p256')],
    ['openssl RSA 2048', opensslIdentity('ossl-rsa@example.com', 'rsa2048')],
  ]
  for (const [kind, id] of identities) {
    const reg = await https(tracker.url, { path: '/api/relay/register', identity: id, body: { certificate: id.certPem, email: id.email } })
    t.equal(reg.status, 200, `${kind}: registers over mutual TLS`)
    t.equal((reg.json() as { fingerprint: string }).fingerprint, id.fingerprint, `${kind}: the tracker sees the certificate's SHA-256 fingerprint`)
    t.equal(reg.serverFingerprint, tracker.fingerprint, `${kind}: the server presents the certificate whose fingerprint startTracker reported`)
    const ready = await https(tracker.url, { path: '/api/relay/broadcast/ready', identity: id, body: READY })
    t.equal(ready.status, 200, `${kind}: announces itself`)
  }
  for (const [kind, id] of identities) {
    const other = identities[0]![1]
    const res = await https(tracker.url, { path: `/api/relay/broadcast/lookup?email=${encodeURIComponent(id.email)}`, identity: other })
    t.equal(res.status, 200, `${kind}: is found by lookup`)
    t.equal((res.json() as { fingerprint: string }).fingerprint, id.fingerprint, `${kind}: lookup carries its fingerprint for pinning`)
  }
  const list = await https(tracker.url, { path: '/api/relay/broadcast/list?limit=2', identity: identities[1]![1] })
  t.equal((list.json() as unknown[]).length, 2, 'list pages over TLS')
  t.match(list.headers.link, /rel="next"/, 'with a Link to the next page')
  const status = await https(tracker.url, { path: '/api/relay/status' })
  t.match(status.json(), { status: 'ok', peers_online: 5, registered_clients: 5 }, 'status needs no client certificate')
})

t.test('certificate checks on the TLS socket', async (t) => {
  const tracker = await startTracker({ logger: false, rateLimitPerMin: 0 })
  t.teardown(() => tracker.close())
  const alice = opensslIdentity('alice@example.com', 'ed25519')
  const bob = await makeIdentity('bob@example.com')

  const none = await https(tracker.url, { path: '/api/relay/register', body: { certificate: alice.certPem, email: alice.email } })
  t.equal(none.status, 401, 'register without a client certificate: 401')
  t.equal((none.json() as { error: string }).error, 'client_certificate_required', 'client_certificate_required')

  const mismatch = await https(tracker.url, { path: '/api/relay/register', identity: bob, body: { certificate: alice.certPem, email: alice.email } })
  t.equal(mismatch.status, 403, 'registering a certificate other than the one presented: 403')
  t.equal((mismatch.json() as { error: string }).error, 'certificate_mismatch', 'certificate_mismatch (the caller must hold the key)')

  const unregistered = await https(tracker.url, { path: '/api/relay/broadcast/ready', identity: alice, body: READY })
  t.equal(unregistered.status, 403, 'an unregistered certificate cannot announce: 403')
  t.equal((unregistered.json() as { error: string }).error, 'not_registered', 'not_registered')

  t.equal((await https(tracker.url, { path: '/api/relay/register', identity: alice, body: { certificate: alice.certPem, email: alice.email } })).status, 200, 'alice registers')
  const impostor = opensslIdentity('alice@example.com', 'p256')
  const taken = await https(tracker.url, { path: '/api/relay/register', identity: impostor, body: { certificate: impostor.certPem, email: impostor.email } })
  t.equal(taken.status, 409, 'another certificate for her e-mail: 409')
  t.equal((taken.json() as { error: string }).error, 'email_taken', 'email_taken')

  const forged = await https(tracker.url, {
    path: '/api/relay/broadcast/ready',
    body: READY,
    headers: { 'x-test-client-cert': Buffer.from(alice.certPem).toString('base64'), 'x-ssl-cert': encodeURIComponent(alice.certPem), 'client-cert': ':AAAA:' },
  })
  t.equal(forged.status, 401, 'certificate headers are ignored on the TLS listener')

  const malformed = await https(tracker.url, { path: '/api/relay/broadcast/ready', identity: alice, rawBody: '{"port":', headers: { 'content-type': 'application/json' } })
  t.equal(malformed.status, 400, 'malformed JSON over TLS: 400')
  t.equal((malformed.json() as { error: string }).error, 'invalid_json', 'invalid_json')
  const big = await https(tracker.url, { path: '/api/relay/broadcast/ready', identity: alice, body: { ...READY, pad: 'x'.repeat(70_000) } })
  t.equal(big.status, 413, 'a body over 64 KiB over TLS: 413')
  const form = await https(tracker.url, { path: '/api/relay/broadcast/ready', identity: alice, rawBody: 'port=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(form.status, 415, 'a form post over TLS: 415')

  const many = Array.from({ length: 33 }, (_, i) => `10.0.0.${i}`)
  for (const [name, body] of [
    ['port 0', { ...READY, port: 0 }],
    ['port 70000', { ...READY, port: 70000 }],
    ['"1.2.3"', { ...READY, addresses: ['1.2.3'] }],
    ['33 addresses', { ...READY, addresses: many }],
    ['duplicate addresses', { ...READY, addresses: ['10.0.0.1', '10.0.0.1'] }],
    ['5 KiB capabilities', { ...READY, capabilities: { blob: 'x'.repeat(5120) } }],
  ] as const) {
    const res = await https(tracker.url, { path: '/api/relay/broadcast/ready', identity: alice, body })
    t.equal(res.status, 400, `ready with ${name} over TLS: 400`)
  }
})

t.test('expiry with a short TTL; a heartbeat before expiry keeps the broadcast', async (t) => {
  const tracker = await startTracker({ logger: false, rateLimitPerMin: 0, broadcastTtlS: 2, sweepIntervalS: 1 })
  t.teardown(() => tracker.close())
  const alice = await makeIdentity('alice@example.com')
  const bob = opensslIdentity('bob@example.com', 'p256')
  for (const id of [alice, bob]) await https(tracker.url, { path: '/api/relay/register', identity: id, body: { certificate: id.certPem, email: id.email } })

  // Bob: ready then silence. Alice: ready, and a heartbeat one second later.
  const lookup = (email: string) => https(tracker.url, { path: `/api/relay/broadcast/lookup?email=${email}`, identity: alice })
  await https(tracker.url, { path: '/api/relay/broadcast/ready', identity: alice, body: READY })
  await https(tracker.url, { path: '/api/relay/broadcast/ready', identity: bob, body: READY })
  t.equal((await lookup('bob@example.com')).status, 200, 'bob is online after his ready')
  await sleep(1000)
  const hb = await https(tracker.url, { path: '/api/relay/broadcast/heartbeat', identity: alice, method: 'POST' })
  t.same(hb.json(), { expires_in: 2 }, 'alice heartbeats before expiry')
  // Margins: bob expired 2 s after his ready (this lookup comes at least 2.2 s after it); alice's
  // heartbeat moved her expiry at least 2 s past the heartbeat, 0.8 s after this lookup is due.
  await sleep(1200)
  t.equal((await lookup('alice@example.com')).status, 200, 'alice is still online past her first TTL thanks to the heartbeat')
  const bobGone = await lookup('bob@example.com')
  t.equal(bobGone.status, 404, 'bob expired: lookup 404')
  t.equal((bobGone.json() as { error: string }).error, 'not_online', 'not_online')
  const late = await https(tracker.url, { path: '/api/relay/broadcast/heartbeat', identity: bob, method: 'POST' })
  t.equal(late.status, 404, "bob's heartbeat after expiry is a 404, so his client re-broadcasts")
  await sleep(2000)
  t.equal((await lookup('alice@example.com')).status, 404, 'without further heartbeats alice expires too')
  const identity = await https(tracker.url, { path: '/api/relay/identity?email=bob@example.com', identity: alice })
  t.equal(identity.status, 200, 'an expired peer is still registered (identity answers)')
})

t.test('registrations, broadcasts and the server certificate survive a restart', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'fb-restart-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const alice = opensslIdentity('alice@example.com', 'ed25519')
  const first = await startTracker({ logger: false, dataDir, rateLimitPerMin: 0 })
  await https(first.url, { path: '/api/relay/register', identity: alice, body: { certificate: alice.certPem, email: alice.email } })
  await https(first.url, { path: '/api/relay/broadcast/ready', identity: alice, body: READY })
  const fingerprint = first.fingerprint
  await first.close()

  const second = await startTracker({ logger: false, dataDir, rateLimitPerMin: 0 })
  t.teardown(() => second.close())
  t.equal(second.fingerprint, fingerprint, 'the generated server certificate is reused (clients keep their pin)')
  const lookup = await https(second.url, { path: '/api/relay/broadcast/lookup?email=alice@example.com', identity: alice })
  t.equal(lookup.status, 200, 'the broadcast survived the restart')
  t.equal((lookup.json() as { fingerprint: string }).fingerprint, alice.fingerprint, 'with its fingerprint')
  const again = await https(second.url, { path: '/api/relay/register', identity: alice, body: { certificate: alice.certPem, email: alice.email } })
  t.equal(again.status, 200, 'the registration survived: registering again is the idempotent 200')
})

t.test('operator-provided server certificate (RELAY_TLS_CERT / RELAY_TLS_KEY)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fb-tlsfiles-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const server = opensslIdentity('tracker.example.com', 'p256', { san: 'DNS:localhost,IP:127.0.0.1' })
  const files = writeIdentityFiles(dir, server)
  const tracker = await startTracker({ logger: false, dataDir: join(dir, 'data'), tlsCertFile: files.cert, tlsKeyFile: files.key })
  t.teardown(() => tracker.close())
  t.equal(tracker.fingerprint, server.fingerprint, 'the tracker uses the given certificate')
  const res = await https(tracker.url, { path: '/health' })
  t.equal(res.serverFingerprint, server.fingerprint, 'and presents it')
  await t.rejects(
    startTracker({ logger: false, dataDir: join(dir, 'data2'), tlsCertFile: files.cert, tlsKeyFile: join(dir, 'missing.pem') }),
    /ENOENT/,
    'a missing key file stops the start',
  )
})

t.test('curl with an openssl-made certificate (the README walk-through)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fb-curl-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const tracker = await startTracker({ logger: false, rateLimitPerMin: 0 })
  t.teardown(() => tracker.close())
  const me = opensslIdentity('me@example.com', 'p256')
  const files = writeIdentityFiles(dir, me)
  // Asynchronously: the tracker answers from this very process.
  const curl = async (...args: string[]) =>
    JSON.parse((await promisify(execFile)('curl', ['-sS', '-k', '--cert', files.cert, '--key', files.key, '-H', 'content-type: application/json', ...args])).stdout)
  const body = JSON.stringify({ certificate: me.certPem, email: me.email })
  t.match(await curl('--data', body, `${tracker.url}/api/relay/register`), { email: 'me@example.com', fingerprint: me.fingerprint }, 'curl registers')
  t.match(await curl('--data', '{"port":4443,"addresses":["127.0.0.1"]}', `${tracker.url}/api/relay/broadcast/ready`), { expires_in: 3600 }, 'curl announces')
  t.match(await curl(`${tracker.url}/api/relay/broadcast/lookup?email=me@example.com`), { email: 'me@example.com', port: 4443 }, 'curl looks itself up')
})
