/** The relay API through buildApp + inject: every status and field of the contract. */
import t from 'tap'
import { as, buildTestApp, makeIdentity, opensslIdentity, register } from '../helper.js'

const alice = await makeIdentity('alice@example.com')
const bob = await makeIdentity('bob@example.com', { keyType: 'ed25519' })
const carol = await makeIdentity('carol@example.com')

const READY = { port: 4443, addresses: ['192.0.2.10', '2001:db8::10'], capabilities: { preview: true } }

t.test('register', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await register(app, alice)
  t.equal(res.statusCode, 200, 'a matching certificate registers')
  const body = res.json()
  t.match(body, { client_id: /^[0-9a-f-]{36}$/, email: 'alice@example.com', fingerprint: alice.fingerprint }, 'the reply has client_id, email and fingerprint')
  t.same(Object.keys(body).sort(), ['client_id', 'email', 'fingerprint'], 'and nothing else')

  const again = await register(app, alice, 'ALICE@Example.COM')
  t.equal(again.statusCode, 200, 'registering again is idempotent (e-mail compared case-insensitively)')
  t.equal(again.json().client_id, body.client_id, 'and returns the same client id')

  const noCert = await app.inject({ method: 'POST', url: '/api/relay/register', payload: { certificate: alice.certPem, email: alice.email } })
  t.equal(noCert.statusCode, 401, 'without a client certificate: 401')
  t.equal(noCert.json().error, 'client_certificate_required', 'with the client_certificate_required code')

  const mismatch = await app.inject({ method: 'POST', url: '/api/relay/register', headers: as(bob), payload: { certificate: alice.certPem, email: alice.email } })
  t.equal(mismatch.statusCode, 403, 'a body certificate other than the presented one: 403')
  t.equal(mismatch.json().error, 'certificate_mismatch', 'with the certificate_mismatch code')

  for (const bad of ['not a certificate', '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----']) {
    const res = await app.inject({ method: 'POST', url: '/api/relay/register', headers: as(carol), payload: { certificate: bad, email: carol.email } })
    t.equal(res.statusCode, 400, `an unparseable PEM (${JSON.stringify(bad.slice(0, 20))}) is a 400`)
    t.equal(res.json().error, 'invalid_certificate', 'with the invalid_certificate code')
  }

  const wrongEmail = await register(app, carol, 'dave@example.com')
  t.equal(wrongEmail.statusCode, 400, 'an e-mail the certificate does not name: 400')
  t.equal(wrongEmail.json().error, 'email_mismatch', 'with the email_mismatch code')

  const notAnEmail = await register(app, carol, 'carol')
  t.equal(notAnEmail.statusCode, 400, 'an invalid address: 400')
  t.match(notAnEmail.json(), { error: 'validation_failed', message: /email/ }, 'naming the email field')

  const missing = await app.inject({ method: 'POST', url: '/api/relay/register', headers: as(carol), payload: { email: carol.email } })
  t.match(missing.json(), { error: 'validation_failed', message: /certificate/ }, 'a missing certificate field is named')
  const extra = await app.inject({ method: 'POST', url: '/api/relay/register', headers: as(carol), payload: { certificate: carol.certPem, email: carol.email, admin: true } })
  t.match(extra.json(), { error: 'validation_failed', message: /admin/ }, 'an unknown field is refused and named')

  const impostor = await makeIdentity('alice@example.com')
  const taken = await register(app, impostor)
  t.equal(taken.statusCode, 409, 'an e-mail registered with another certificate: 409')
  t.equal(taken.json().error, 'email_taken', 'with the email_taken code')
})

t.test('register: validity period and key types', async (t) => {
  const { app } = await buildTestApp(t)
  const expired = await makeIdentity('old@example.com', { notBefore: new Date(Date.now() - 10 * 86_400_000), days: 2 })
  const res = await register(app, expired)
  t.equal(res.statusCode, 400, 'an expired certificate: 400')
  t.equal(res.json().error, 'certificate_expired', 'with the certificate_expired code')
  const future = await makeIdentity('future@example.com', { notBefore: new Date(Date.now() + 86_400_000) })
  t.equal((await register(app, future)).json().error, 'certificate_expired', 'a not-yet-valid certificate is refused too')

  const rsa2048 = opensslIdentity('rsa@example.com', 'rsa2048')
  t.equal((await register(app, rsa2048)).statusCode, 200, 'an RSA 2048 certificate made by openssl registers')
  const rsa1024 = opensslIdentity('weak@example.com', 'rsa1024')
  const weak = await register(app, rsa1024)
  t.equal(weak.statusCode, 400, 'an RSA 1024 certificate is refused')
  t.match(weak.json(), { error: 'invalid_certificate', message: /RSA 1024/ }, 'saying why')

  // CN alice, SAN e-mail alias: the certificate may register under either name, but only once.
  const twoNames = opensslIdentity('one@example.com', 'p256', { san: 'email:two@example.com' })
  t.equal((await register(app, twoNames, 'two@example.com')).statusCode, 200, 'a SAN e-mail is accepted as the address')
  const second = await register(app, twoNames, 'one@example.com')
  t.equal(second.statusCode, 409, 'the same certificate under its other name: 409')
  t.equal(second.json().error, 'certificate_taken', 'with the certificate_taken code')
})

t.test('authenticated routes: 401 without a certificate, 403 when not registered', async (t) => {
  const { app } = await buildTestApp(t)
  const routes = [
    { method: 'POST' as const, url: '/api/relay/broadcast/ready', payload: READY },
    { method: 'GET' as const, url: '/api/relay/broadcast/lookup?email=alice@example.com' },
    { method: 'GET' as const, url: '/api/relay/broadcast/list' },
    { method: 'POST' as const, url: '/api/relay/broadcast/heartbeat' },
    { method: 'POST' as const, url: '/api/relay/broadcast/offline' },
    { method: 'GET' as const, url: '/api/relay/identity?email=alice@example.com' },
    { method: 'GET' as const, url: '/api/peers/list' },
    { method: 'POST' as const, url: '/api/peers/heartbeat' },
  ]
  for (const route of routes) {
    const anonymous = await app.inject(route)
    t.equal(anonymous.statusCode, 401, `${route.method} ${route.url} without a certificate: 401`)
    t.equal(anonymous.json().error, 'client_certificate_required', 'client_certificate_required')
    const stranger = await app.inject({ ...route, headers: as(carol) })
    t.equal(stranger.statusCode, 403, `${route.method} ${route.url} with an unregistered certificate: 403`)
    t.equal(stranger.json().error, 'not_registered', 'not_registered')
  }
})

t.test('ready, lookup, heartbeat, offline, identity', async (t) => {
  const { app, clock } = await buildTestApp(t, { config: { broadcastTtlS: 60 } })
  await register(app, alice)
  await register(app, bob)

  const ready = await app.inject({ method: 'POST', url: '/api/relay/broadcast/ready', headers: as(alice), payload: READY })
  t.equal(ready.statusCode, 200, 'a registered identity announces itself')
  t.match(ready.json(), { broadcast_id: /^[0-9a-f-]{36}$/, expires_in: 60 }, 'the reply has broadcast_id and expires_in = TTL')

  const lookup = await app.inject({ url: '/api/relay/broadcast/lookup?email=Alice@Example.com', headers: as(bob) })
  t.equal(lookup.statusCode, 200, 'another identity finds it (e-mail case-insensitive)')
  const peer = lookup.json()
  t.same(
    peer,
    {
      email: 'alice@example.com',
      port: 4443,
      addresses: ['192.0.2.10', '2001:db8::10'],
      capabilities: { preview: true },
      fingerprint: alice.fingerprint,
      last_seen: new Date(clock.now).toISOString(),
      expires_in: 60,
    },
    'lookup returns every field of the contract',
  )

  clock.now += 30_000
  const hb = await app.inject({ method: 'POST', url: '/api/relay/broadcast/heartbeat', headers: as(alice) })
  t.equal(hb.statusCode, 200, 'a heartbeat on a live broadcast succeeds')
  t.same(hb.json(), { expires_in: 60 }, 'and extends it by the TTL')
  clock.now += 45_000
  const stillThere = await app.inject({ url: '/api/relay/broadcast/lookup?email=alice@example.com', headers: as(bob) })
  t.equal(stillThere.statusCode, 200, 'the heartbeat kept it alive past its first expiry')
  t.equal(stillThere.json().expires_in, 15, 'expires_in counts down')
  t.equal(stillThere.json().last_seen, new Date(clock.now - 45_000).toISOString(), 'last_seen is the heartbeat time')

  clock.now += 15_000
  const gone = await app.inject({ url: '/api/relay/broadcast/lookup?email=alice@example.com', headers: as(bob) })
  t.equal(gone.statusCode, 404, 'an expired broadcast is not returned, even before any sweep')
  t.equal(gone.json().error, 'not_online', 'with the not_online code')
  const lateHb = await app.inject({ method: 'POST', url: '/api/relay/broadcast/heartbeat', headers: as(alice) })
  t.equal(lateHb.statusCode, 404, 'a heartbeat after expiry is a 404 (the client re-broadcasts)')
  t.equal(lateHb.json().error, 'not_online', 'with the not_online code')

  const second = await app.inject({ method: 'POST', url: '/api/relay/broadcast/ready', headers: as(alice), payload: { port: 5000, addresses: ['::1'] } })
  t.not(second.json().broadcast_id, ready.json().broadcast_id, 'a new ready is a new broadcast')
  const replaced = await app.inject({ url: '/api/relay/broadcast/lookup?email=alice@example.com', headers: as(bob) })
  t.match(replaced.json(), { port: 5000, addresses: ['::1'], capabilities: {} }, 'it replaced the old one; capabilities default to {}')

  const off = await app.inject({ method: 'POST', url: '/api/relay/broadcast/offline', headers: as(alice) })
  t.equal(off.statusCode, 204, 'offline answers 204')
  t.equal(off.body, '', 'with no body')
  t.equal((await app.inject({ url: '/api/relay/broadcast/lookup?email=alice@example.com', headers: as(bob) })).statusCode, 404, 'offline takes effect at once')
  t.equal((await app.inject({ method: 'POST', url: '/api/relay/broadcast/heartbeat', headers: as(alice) })).statusCode, 404, 'no heartbeat after offline')
  t.equal((await app.inject({ url: '/api/relay/broadcast/lookup?email=nobody@example.com', headers: as(bob) })).statusCode, 404, 'an unknown e-mail is not online')
  const badLookup = await app.inject({ url: '/api/relay/broadcast/lookup?email=nope', headers: as(bob) })
  t.match(badLookup.json(), { error: 'validation_failed', message: /email/ }, 'lookup validates the e-mail and names it')
  t.equal((await app.inject({ url: '/api/relay/broadcast/lookup', headers: as(bob) })).statusCode, 400, 'lookup needs an e-mail')

  const identity = await app.inject({ url: '/api/relay/identity?email=alice@example.com', headers: as(bob) })
  t.equal(identity.statusCode, 200, 'identity answers for a registered e-mail while offline')
  t.match(identity.json(), { email: 'alice@example.com', fingerprint: alice.fingerprint, registered_at: /^\d{4}-\d\d-\d\dT/ }, 'with email, fingerprint and registered_at')
  const unknown = await app.inject({ url: '/api/relay/identity?email=nobody@example.com', headers: as(bob) })
  t.equal(unknown.statusCode, 404, 'identity of an unregistered e-mail: 404')
  t.equal(unknown.json().error, 'not_registered', 'with the not_registered code')
})

t.test('ready validation', async (t) => {
  const { app } = await buildTestApp(t)
  await register(app, alice)
  const many = Array.from({ length: 33 }, (_, i) => `10.0.0.${i + 1}`)
  const cases: [string, unknown, RegExp][] = [
    ['port 0', { ...READY, port: 0 }, /port/],
    ['port 70000', { ...READY, port: 70000 }, /port/],
    ['a port as a string', { ...READY, port: '4443' }, /port/],
    ['a fractional port', { ...READY, port: 44.5 }, /port/],
    ['no port', { addresses: READY.addresses }, /port/],
    ['"1.2.3"', { ...READY, addresses: ['1.2.3'] }, /addresses\/0/],
    ['33 addresses', { ...READY, addresses: many }, /addresses/],
    ['no addresses', { ...READY, addresses: [] }, /addresses/],
    ['duplicate addresses', { ...READY, addresses: ['192.0.2.1', '192.0.2.1'] }, /addresses/],
    ['duplicates in two spellings', { ...READY, addresses: ['::1', '0:0:0:0:0:0:0:1'] }, /addresses\/1/],
    ['an address with a port', { ...READY, addresses: ['192.0.2.1:80'] }, /addresses\/0/],
    ['a bracketed IPv6', { ...READY, addresses: ['[::1]'] }, /addresses\/0/],
    ['a zone id', { ...READY, addresses: ['fe80::1%eth0'] }, /addresses\/0/],
    ['a host name', { ...READY, addresses: ['localhost'] }, /addresses\/0/],
    ['an octal-looking IPv4', { ...READY, addresses: ['010.0.0.1'] }, /addresses\/0/],
    ['5 KiB of capabilities', { ...READY, capabilities: { blob: 'x'.repeat(5 * 1024) } }, /capabilities/],
    ['capabilities that are not an object', { ...READY, capabilities: [1, 2] }, /capabilities/],
    ['an unknown field', { ...READY, admin: true }, /admin/],
  ]
  for (const [name, payload, field] of cases) {
    const res = await app.inject({ method: 'POST', url: '/api/relay/broadcast/ready', headers: as(alice), payload: payload as object })
    t.equal(res.statusCode, 400, `${name}: 400`)
    t.match(res.json(), { error: 'validation_failed', message: field }, `${name}: the message names the field (${res.json().message})`)
  }
  const edge = await app.inject({
    method: 'POST',
    url: '/api/relay/broadcast/ready',
    headers: as(alice),
    payload: { port: 65535, addresses: Array.from({ length: 32 }, (_, i) => `10.0.1.${i}`), capabilities: { blob: 'x'.repeat(4000) } },
  })
  t.equal(edge.statusCode, 200, 'port 65535, 32 addresses and ~4 KiB of capabilities are accepted')
  const normalised = await app.inject({ method: 'POST', url: '/api/relay/broadcast/ready', headers: as(alice), payload: { port: 1, addresses: ['2001:DB8:0:0::1', '::ffff:192.0.2.1', '0.0.0.0'] } })
  t.equal(normalised.statusCode, 200, 'IPv6 in any spelling, v4-mapped and unspecified addresses are accepted')
  const back = await app.inject({ url: '/api/relay/broadcast/lookup?email=alice@example.com', headers: as(alice) })
  t.same(back.json().addresses, ['2001:db8::1', '::ffff:192.0.2.1', '127.0.0.1'], 'addresses are stored in canonical form, 0.0.0.0 replaced by the observed client address')
})

t.test('list and paging', async (t) => {
  const { app } = await buildTestApp(t)
  const people = await Promise.all(['p1', 'p2', 'p3', 'p4', 'p5'].map((n) => makeIdentity(`${n}@example.com`)))
  for (const p of people) {
    await register(app, p)
    await app.inject({ method: 'POST', url: '/api/relay/broadcast/ready', headers: as(p), payload: READY })
  }
  const all = await app.inject({ url: '/api/relay/broadcast/list', headers: as(people[0]!) })
  t.equal(all.statusCode, 200, 'list answers 200')
  t.equal(all.json().length, 5, 'every online peer is listed')
  t.notOk(all.headers.link, 'no Link header when everything fit')
  t.match(all.json()[0], { email: 'p1@example.com', port: 4443, fingerprint: people[0]!.fingerprint, expires_in: 3600 }, 'items have the lookup shape')

  const seen: string[] = []
  let url: string | undefined = '/api/relay/broadcast/list?limit=2'
  let pages = 0
  while (url) {
    const res = await app.inject({ url, headers: as(people[0]!) })
    t.equal(res.statusCode, 200, `page ${++pages} answers 200`)
    seen.push(...res.json().map((p: { email: string }) => p.email))
    const link = res.headers.link as string | undefined
    url = link ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] : undefined
    if (link) t.match(link, /^<\/api\/relay\/broadcast\/list\?limit=2&cursor=[A-Za-z0-9_-]+>; rel="next"$/, 'the Link header points at the next page')
  }
  t.equal(pages, 3, '5 peers by 2 make 3 pages')
  t.same(seen, people.map((p) => p.email), 'paging visits everyone once, in order')

  await app.inject({ method: 'POST', url: '/api/relay/broadcast/offline', headers: as(people[2]!) })
  const fewer = await app.inject({ url: '/api/relay/broadcast/list', headers: as(people[0]!) })
  t.equal(fewer.json().length, 4, 'offline peers leave the list')

  for (const [q, name] of [['limit=0', 'limit 0'], ['limit=5001', 'limit 5001'], ['limit=abc', 'a non-numeric limit'], ['cursor=%25%25', 'a forged cursor'], ['bogus=1', 'an unknown parameter']]) {
    const res = await app.inject({ url: `/api/relay/broadcast/list?${q}`, headers: as(people[0]!) })
    t.equal(res.statusCode, 400, `${name}: 400`)
    t.equal(res.json().error, 'validation_failed', `${name}: validation_failed`)
  }
  t.equal((await app.inject({ url: '/api/relay/broadcast/list?limit=5000', headers: as(people[0]!) })).statusCode, 200, 'limit 5000 is allowed')
})

t.test('compatibility names behave like the relay routes', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ method: 'POST', url: '/api/peers/register', headers: as(alice), payload: { certificate: alice.certPem, email: alice.email } })
  t.equal(res.statusCode, 200, 'POST /api/peers/register registers')
  t.equal(res.json().fingerprint, alice.fingerprint, 'with the same reply')
  const hbBefore = await app.inject({ method: 'POST', url: '/api/peers/heartbeat', headers: as(alice) })
  t.equal(hbBefore.statusCode, 404, 'POST /api/peers/heartbeat without a broadcast: 404 not_online')
  await app.inject({ method: 'POST', url: '/api/relay/broadcast/ready', headers: as(alice), payload: READY })
  t.same((await app.inject({ method: 'POST', url: '/api/peers/heartbeat', headers: as(alice) })).json(), { expires_in: 3600 }, 'POST /api/peers/heartbeat extends')
  const list = await app.inject({ url: '/api/peers/list?limit=1', headers: as(alice) })
  t.equal(list.json()[0].email, 'alice@example.com', 'GET /api/peers/list lists')
  await register(app, bob)
  await app.inject({ method: 'POST', url: '/api/relay/broadcast/ready', headers: as(bob), payload: READY })
  const paged = await app.inject({ url: '/api/peers/list?limit=1', headers: as(alice) })
  t.match(paged.headers.link, /^<\/api\/peers\/list\?limit=1&cursor=/, 'its Link header stays under /api/peers')
})

t.test('status and health', async (t) => {
  const { app, store } = await buildTestApp(t)
  await register(app, alice)
  await register(app, bob)
  await app.inject({ method: 'POST', url: '/api/relay/broadcast/ready', headers: as(alice), payload: READY })
  const status = await app.inject({ url: '/api/relay/status' })
  t.equal(status.statusCode, 200, 'status needs no certificate')
  t.match(status.json(), { status: 'ok', version: /^\d+\.\d+\.\d+/, uptime_s: Number, peers_online: 1, registered_clients: 2 }, 'status counts peers and clients')
  const health = await app.inject({ url: '/health' })
  t.equal(health.statusCode, 200, 'health is 200 while the database answers')
  t.same(health.json(), { status: 'ok' }, 'with status ok')
  store.db.close()
  const down = await app.inject({ url: '/health' })
  t.equal(down.statusCode, 503, 'health is 503 when the database does not answer')
  t.equal(down.json().error, 'unavailable', 'with the unavailable code')
})

t.test('bodies: JSON only, bounded, well-formed', async (t) => {
  const { app } = await buildTestApp(t)
  await register(app, alice)
  const ready = (headers: Record<string, string>, payload: string) =>
    app.inject({ method: 'POST', url: '/api/relay/broadcast/ready', headers: { ...as(alice), ...headers }, payload })

  const form = await ready({ 'content-type': 'application/x-www-form-urlencoded' }, 'port=1&addresses=1.2.3.4')
  t.equal(form.statusCode, 415, 'a form post is refused with 415')
  t.equal(form.json().error, 'unsupported_media_type', 'unsupported_media_type')
  t.equal((await ready({ 'content-type': 'text/plain' }, JSON.stringify(READY))).statusCode, 415, 'text/plain JSON is refused')
  t.equal((await ready({ 'content-type': 'multipart/form-data; boundary=x' }, '--x--')).statusCode, 415, 'multipart is refused')
  const noType = await app.inject({ method: 'POST', url: '/api/relay/broadcast/ready', headers: as(alice), body: Buffer.from(JSON.stringify(READY)) })
  t.equal(noType.statusCode, 415, 'a body without a content type is refused')
  t.equal((await ready({ 'content-type': 'application/json; charset=utf-8' }, JSON.stringify(READY))).statusCode, 200, 'application/json with a charset is fine')

  const malformed = await ready({ 'content-type': 'application/json' }, '{"port": 1, "addresses": [')
  t.equal(malformed.statusCode, 400, 'malformed JSON is a 400')
  t.equal(malformed.json().error, 'invalid_json', 'with the invalid_json code')
  const proto = await ready({ 'content-type': 'application/json' }, '{"port":1,"addresses":["1.2.3.4"],"__proto__":{"x":1}}')
  t.equal(proto.statusCode, 400, 'a __proto__ key is refused')

  const big = await ready({ 'content-type': 'application/json' }, JSON.stringify({ ...READY, pad: 'x'.repeat(65 * 1024) }))
  t.equal(big.statusCode, 413, 'a body over 64 KiB is a 413')
  t.equal(big.json().error, 'payload_too_large', 'with the payload_too_large code')

  const post = (url: string, headers: Record<string, string>, payload?: string) =>
    app.inject({ method: 'POST', url, headers: { ...as(alice), ...headers }, ...(payload === undefined ? {} : { payload }) })
  t.equal((await post('/api/relay/broadcast/heartbeat', {})).statusCode, 200, 'heartbeat with no body at all')
  t.equal((await post('/api/relay/broadcast/heartbeat', { 'content-type': 'application/json' }, '')).statusCode, 200, 'heartbeat with an empty JSON body')
  t.equal((await post('/api/relay/broadcast/heartbeat', { 'content-type': 'application/json' }, '{}')).statusCode, 200, 'heartbeat with {}')
  t.equal((await post('/api/relay/broadcast/heartbeat', { 'content-type': 'application/x-www-form-urlencoded' }, '')).statusCode, 415, 'an empty form post is still refused')
  t.equal((await post('/api/relay/broadcast/offline', { 'content-type': 'application/json' }, '')).statusCode, 204, 'offline with an empty JSON body')
  const emptyReady = await post('/api/relay/broadcast/ready', { 'content-type': 'application/json' }, '')
  t.equal(emptyReady.statusCode, 400, 'a ready without a body is a 400')
  t.equal(emptyReady.json().error, 'validation_failed', 'validation_failed')
})

t.test('errors are JSON; internals stay hidden', async (t) => {
  const { app, store } = await buildTestApp(t)
  const missing = await app.inject({ url: '/nope' })
  t.equal(missing.statusCode, 404, 'unknown routes are 404')
  t.match(missing.json(), { error: 'not_found', message: /nope/ }, 'in the error shape')
  await register(app, alice)
  store.getBroadcastByEmail = async () => {
    throw new Error('disk on fire at /secret/path')
  }
  const boom = await app.inject({ url: '/api/relay/broadcast/lookup?email=alice@example.com', headers: as(alice) })
  t.equal(boom.statusCode, 500, 'a failing store is a 500')
  t.same(boom.json(), { error: 'internal_error', message: 'internal error' }, 'without the internal message')
  const status = await app.inject({ url: '/api/relay/status' })
  t.equal(status.headers['x-content-type-options'], 'nosniff', 'security headers are set')
  t.match(status.headers['strict-transport-security'], /max-age=/, 'HSTS is set')
})
