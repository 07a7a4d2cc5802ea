/**
 * The hot lane over real mutual-TLS connections: what it serves itself, how it hands a connection to
 * Node and Fastify (bytes and all, in order, counted once), framing (pipelining, split writes,
 * Connection: close), back-pressure, time limits, graceful close, logging and the HOT_LANE switch.
 */
import t, { type Test } from 'tap'
import { Writable } from 'node:stream'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { pino } from 'pino'
import { startTracker, type RunningTracker, type StartTrackerOptions } from '../../src/start.js'
import { https, makeIdentity, sleep, type TestIdentity } from '../helper.js'
import { json, RawClient, requestBytes } from './raw-client.js'

const READY = JSON.stringify({ port: 4443, addresses: ['192.0.2.7', '2001:db8::7'], capabilities: { preview: true } })
const lookupOf = (email: string) => `/api/relay/broadcast/lookup?email=${encodeURIComponent(email)}`

interface Setup {
  tracker: RunningTracker
  alice: TestIdentity
  bob: TestIdentity
  stats: () => { served: number; handedOff: number }
}

async function setup(t: Test, options: StartTrackerOptions = {}): Promise<Setup> {
  const tracker = await startTracker({ logger: false, rateLimitPerMin: 0, ...options })
  t.teardown(() => tracker.close())
  const alice = await makeIdentity('alice@example.com')
  const bob = await makeIdentity('bob@example.com')
  for (const id of [alice, bob]) {
    const res = await https(tracker.url, { path: '/api/relay/register', identity: id, body: { certificate: id.certPem, email: id.email } })
    t.equal(res.status, 200, `${id.email} registers`)
  }
  const stats = () => ({ ...(tracker.app.hotLane?.stats ?? { served: 0, handedOff: 0 }) })
  return { tracker, alice, bob, stats }
}

t.test('readies, lookups and heartbeats on one keep-alive connection are answered in the lane', async (t) => {
  const { tracker, alice, bob, stats } = await setup(t)
  const before = stats()
  const c = await RawClient.connect(tracker.port, alice)
  t.teardown(() => c.destroy())

  await c.request('POST', '/api/relay/broadcast/ready', { body: READY, headers: json })
  const ready = await c.response()
  t.equal(ready.status, 200, 'ready: 200')
  t.match(ready.json(), { broadcast_id: /^[0-9a-f-]{36}$/, expires_in: 3600 }, 'with a new broadcast id and the TTL')

  await c.request('GET', lookupOf(alice.email))
  const found = await c.response()
  t.equal(found.status, 200, 'lookup of an online peer: 200')
  t.match(found.json(), { email: alice.email, port: 4443, addresses: ['192.0.2.7', '2001:db8::7'], capabilities: { preview: true }, fingerprint: alice.fingerprint, expires_in: 3600 }, 'with its addresses and fingerprint')
  t.equal(found.headers['content-type'], 'application/json; charset=utf-8', 'as JSON')
  t.equal(found.headers['x-content-type-options'], 'nosniff', 'with the security headers')
  t.equal(found.headers.connection, 'keep-alive', 'and the connection kept open')

  await c.request('GET', lookupOf(bob.email))
  const missing = await c.response()
  t.equal(missing.status, 404, 'lookup of a registered peer that is not online: 404')
  t.same(missing.json(), { error: 'not_online', message: 'bob@example.com is not online' }, 'in the one error shape')

  await c.request('POST', '/api/relay/broadcast/heartbeat')
  const beat = await c.response()
  t.equal(beat.status, 200, 'heartbeat without a body: 200')
  t.same(beat.json(), { expires_in: 3600 }, 'extends the broadcast')

  t.same(stats(), { served: before.served + 4, handedOff: before.handedOff }, 'all four were served in the lane, none handed over')
})

t.test('the first request the lane does not serve hands the connection over, bytes and all, in order', async (t) => {
  const { tracker, alice, stats } = await setup(t)
  const c = await RawClient.connect(tracker.port, alice)
  t.teardown(() => c.destroy())
  await c.request('POST', '/api/relay/broadcast/ready', { body: READY, headers: json })
  t.equal((await c.response()).status, 200, 'a ready in the lane')
  const before = stats()

  // Four requests in one write: the second is not the lane's.
  await c.write(
    Buffer.concat([
      requestBytes('GET', lookupOf(alice.email)),
      requestBytes('GET', '/api/relay/broadcast/list?limit=5'),
      requestBytes('GET', lookupOf(alice.email)),
      requestBytes('POST', '/api/relay/broadcast/heartbeat'),
    ]),
  )
  const answers = [await c.response(), await c.response(), await c.response(), await c.response()]
  t.same(answers.map((a) => a.status), [200, 200, 200, 200], 'four answers, all 200')
  t.equal((answers[0]!.json() as { email: string }).email, alice.email, '1: the lookup')
  t.ok(Array.isArray(answers[1]!.json()), '2: the list, answered by Fastify')
  t.equal((answers[2]!.json() as { email: string }).email, alice.email, '3: the lookup again')
  t.same(answers[3]!.json(), { expires_in: 3600 }, '4: the heartbeat')
  t.same(stats(), { served: before.served + 1, handedOff: before.handedOff + 1 }, 'the lane served the first and handed over the rest with the connection')

  await c.request('GET', lookupOf(alice.email))
  t.equal((await c.response()).status, 200, 'the connection goes on under Node')
  t.equal(stats().served, before.served + 1, 'and stays there')
})

t.test('requests split into many writes, and many requests in one write', async (t) => {
  const { tracker, alice, bob, stats } = await setup(t)
  const c = await RawClient.connect(tracker.port, alice)
  t.teardown(() => c.destroy())
  const before = stats()
  const bytes = requestBytes('POST', '/api/relay/broadcast/ready', { body: READY, headers: json })
  for (let i = 0; i < bytes.length; i += 7) {
    await c.write(bytes.subarray(i, i + 7))
    await sleep(1)
  }
  t.equal((await c.response()).status, 200, 'a ready sent 7 bytes at a time is answered')

  const many = Array.from({ length: 60 }, (_, i) => requestBytes('GET', lookupOf(i % 3 === 0 ? bob.email : alice.email)))
  await c.write(Buffer.concat(many))
  const statuses: number[] = []
  for (let i = 0; i < many.length; i++) statuses.push((await c.response()).status)
  t.same(statuses, many.map((_, i) => (i % 3 === 0 ? 404 : 200)), '60 pipelined lookups are answered, in order')
  t.same(stats(), { served: before.served + 61, handedOff: before.handedOff }, 'all in the lane')

  // One byte per TLS record: past 32 pieces the request goes to Node's incremental parser.
  const trickle = await RawClient.connect(tracker.port, alice)
  t.teardown(() => trickle.destroy())
  const slow = requestBytes('GET', lookupOf(alice.email))
  for (let i = 0; i < slow.length; i++) {
    await trickle.write(slow.subarray(i, i + 1))
    await sleep(0)
  }
  t.equal((await trickle.response()).status, 200, `a lookup sent one byte at a time (${slow.length} pieces) is answered`)
  t.equal(stats().handedOff, before.handedOff + 1, 'by Node and Fastify, after a hand-over')
})

t.test('Connection: close is honoured', async (t) => {
  const { tracker, alice } = await setup(t)
  const c = await RawClient.connect(tracker.port, alice)
  t.teardown(() => c.destroy())
  await c.request('GET', lookupOf(alice.email), { headers: { Connection: 'close' } })
  const res = await c.response()
  t.equal(res.status, 404, 'answered (alice is not online yet)')
  t.equal(res.headers.connection, 'close', 'with Connection: close')
  t.notOk(res.headers['keep-alive'], 'and no Keep-Alive')
  await c.closed
  t.pass('then the server closes the connection')
})

t.test('what the lane cannot decide goes to Fastify: no certificate, an unknown one, bad input', async (t) => {
  const { tracker, alice, stats } = await setup(t)
  const stranger = await makeIdentity('stranger@example.com')
  const cases: { who?: TestIdentity; bytes: Buffer; status: number; error: string; what: string }[] = [
    { bytes: requestBytes('GET', lookupOf(alice.email)), status: 401, error: 'client_certificate_required', what: 'no client certificate' },
    { who: stranger, bytes: requestBytes('GET', lookupOf(alice.email)), status: 403, error: 'not_registered', what: 'an unregistered certificate' },
    { who: alice, bytes: requestBytes('GET', '/api/relay/broadcast/lookup?email=nope'), status: 400, error: 'validation_failed', what: 'a query the schema refuses' },
    { who: alice, bytes: requestBytes('GET', `${lookupOf(alice.email)}&x=1`), status: 400, error: 'validation_failed', what: 'an unknown query parameter' },
    { who: alice, bytes: requestBytes('POST', '/api/relay/broadcast/ready', { body: '{"port":', headers: json }), status: 400, error: 'invalid_json', what: 'malformed JSON' },
    { who: alice, bytes: requestBytes('POST', '/api/relay/broadcast/ready', { body: READY, headers: { 'Content-Type': 'text/plain' } }), status: 415, error: 'unsupported_media_type', what: 'a body that is not JSON' },
    { who: alice, bytes: requestBytes('POST', '/api/relay/broadcast/ready', { body: JSON.stringify({ port: 0, addresses: [] }), headers: json }), status: 400, error: 'validation_failed', what: 'a body the schema refuses' },
    { who: alice, bytes: requestBytes('POST', '/api/relay/broadcast/ready', { body: `{"__proto__":{"x":1},"port":1,"addresses":[]}`, headers: json }), status: 400, error: 'invalid_json', what: 'a prototype-polluting body' },
    { who: alice, bytes: requestBytes('POST', '/api/relay/broadcast/ready', { body: 'x'.repeat(70_000), headers: json }), status: 413, error: 'payload_too_large', what: 'a body over the limit' },
  ]
  for (const c of cases) {
    const before = stats()
    const client = await RawClient.connect(tracker.port, c.who)
    t.teardown(() => client.destroy())
    await client.write(c.bytes)
    const res = await client.response()
    t.equal(res.status, c.status, `${c.what}: ${c.status}`)
    t.equal((res.json() as { error: string }).error, c.error, `${c.what}: ${c.error}`)
    t.same(stats(), { served: before.served, handedOff: before.handedOff + 1 }, `${c.what}: answered by Fastify after a hand-over`)
  }
})

t.test('errors a handler raises in the lane are answered in the lane, like Fastify would', async (t) => {
  const { tracker, alice, stats } = await setup(t)
  const c = await RawClient.connect(tracker.port, alice)
  t.teardown(() => c.destroy())
  const before = stats()
  await c.request('POST', '/api/relay/broadcast/heartbeat')
  const beat = await c.response()
  t.equal(beat.status, 404, 'a heartbeat before any ready: 404')
  t.equal((beat.json() as { error: string }).error, 'not_online', 'not_online')
  // The schema takes any short string; the handler checks it is an address (and spells it the same).
  await c.request('POST', '/api/relay/broadcast/ready', { body: JSON.stringify({ port: 4000, addresses: ['192.0.2.1', '192.0.2.001'] }), headers: json })
  const dup = await c.response()
  t.equal(dup.status, 400, 'a ready whose second address is not an IPv4 literal: 400')
  t.match(dup.json(), { error: 'validation_failed', message: /^body\/addresses\/1 / }, 'naming the field')
  t.same(stats(), { served: before.served + 2, handedOff: before.handedOff }, 'both in the lane')
})

t.test('rate limits count each request once, whichever path answers it', async (t) => {
  // A clock that stays inside one rate-limit window, whatever the time of the run.
  const windowStart = Math.floor(Date.now() / 60_000) * 60_000
  const { tracker, alice } = await setup(t, { rateLimitPerMin: 4, now: () => windowStart + 30_000 })
  const c = await RawClient.connect(tracker.port, alice)
  t.teardown(() => c.destroy())
  const remaining = (res: { headers: Record<string, string> }) => Number(res.headers['x-ratelimit-remaining'])
  await c.request('GET', lookupOf(alice.email))
  const first = await c.response()
  t.equal(first.status, 404, '1: lookup in the lane')
  t.equal(first.headers['x-ratelimit-limit'], '4', 'with the identity budget')
  const left = remaining(first)
  t.ok(left >= 1, `and what is left of it (${left})`)
  await c.request('GET', '/api/relay/broadcast/list')
  const second = await c.response()
  t.equal(second.status, 200, '2: list, handed over to Fastify')
  t.equal(remaining(second), left - 1, 'counted once on its way through both paths')
  for (let i = left - 1; i > 0; i--) {
    await c.request('GET', lookupOf(alice.email))
    t.equal(remaining(await c.response()), i - 1, `a lookup on the handed-over connection counts one (${i - 1} left)`)
  }
  await c.request('GET', lookupOf(alice.email))
  const limited = await c.response()
  t.equal(limited.status, 429, 'over the budget')
  t.ok(Number(limited.headers['retry-after']) >= 1, 'with Retry-After')

  const lane = await RawClient.connect(tracker.port, alice)
  t.teardown(() => lane.destroy())
  await lane.request('GET', lookupOf(alice.email))
  const fromLane = await lane.response()
  t.equal(fromLane.status, 429, 'the lane refuses the same identity on a new connection')
  t.equal((fromLane.json() as { error: string }).error, 'rate_limited', 'rate_limited')
  t.equal(fromLane.headers['x-content-type-options'], 'nosniff', 'a refusal carries the security headers too')
})

t.test('a client that sends without reading is slowed down, and loses nothing', async (t) => {
  const { tracker, alice } = await setup(t)
  const c = await RawClient.connect(tracker.port, alice)
  t.teardown(() => c.destroy())
  const one = requestBytes('GET', lookupOf(alice.email))
  const count = 20_000
  c.socket.pause()
  const all = Buffer.concat(Array.from({ length: count }, () => one))
  c.socket.write(all)
  await sleep(300)
  c.socket.resume()
  let answered = 0
  while (answered < count) {
    const res = await c.response(20_000)
    if (res.status !== 404) t.fail(`answer ${answered}: ${res.status}`)
    answered++
  }
  t.equal(answered, count, `${count} pipelined requests (${(all.length / 1e6).toFixed(1)} MB) sent to a client that did not read: every one answered once it read`)
})

t.test('time limits: idle connections close, slow requests get 408', async (t) => {
  const { tracker, alice } = await setup(t)
  const server = tracker.app.server
  server.keepAliveTimeout = 1200
  server.headersTimeout = 1500
  const idle = await RawClient.connect(tracker.port, alice)
  t.teardown(() => idle.destroy())
  await idle.request('GET', lookupOf(alice.email))
  await idle.response()
  const started = Date.now()
  await idle.closed
  const waited = Date.now() - started
  t.ok(waited >= 1100 && waited < 4000, `an idle keep-alive connection is closed after keepAliveTimeout (${waited} ms for 1200)`)

  const slow = await RawClient.connect(tracker.port, alice)
  t.teardown(() => slow.destroy())
  await slow.write('GET /api/relay/broadcast/lookup?email=a HTTP/1.1\r\nHost: x\r\n')
  await slow.closed
  t.match(slow.pendingText, /^HTTP\/1\.1 408 Request Timeout\r\n[^]*\r\n\r\n\{"error":"request_timeout","message":"[^"]+"\}$/, 'a head that never ends is answered 408 request_timeout, and closed')
})

t.test('closing the tracker closes idle lane connections at once', async (t) => {
  const tracker = await startTracker({ logger: false, rateLimitPerMin: 0 })
  const alice = await makeIdentity('alice@example.com')
  await https(tracker.url, { path: '/api/relay/register', identity: alice, body: { certificate: alice.certPem, email: alice.email } })
  const c = await RawClient.connect(tracker.port, alice)
  await c.request('GET', lookupOf(alice.email))
  t.equal((await c.response()).status, 404, 'a lane connection, now idle')
  const started = Date.now()
  await tracker.close()
  t.ok(Date.now() - started < 5000, 'close does not wait for the keep-alive timeout')
  await c.closed
  t.pass('the idle connection was closed')
})

t.test('LOG_LEVEL=debug: one line per request served in the lane', async (t) => {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  const { tracker, alice } = await setup(t, { logger: pino({ level: 'debug' }, sink) })
  const c = await RawClient.connect(tracker.port, alice)
  t.teardown(() => c.destroy())
  await c.request('GET', lookupOf(alice.email))
  await c.response()
  await sleep(50)
  const line = lines.find((l) => l.msg === 'request completed' && l.lane === 'hot')
  t.match(line, { level: 20, method: 'GET', url: lookupOf(alice.email), status: 404, client: '127.0.0.1' }, 'the same fields as the Fastify path, marked lane: hot')
})

t.test('HOT_LANE=off: every request goes through Fastify', async (t) => {
  const { tracker, alice } = await setup(t, { hotLane: false })
  t.equal(tracker.app.hotLane, null, 'no lane')
  const c = await RawClient.connect(tracker.port, alice)
  t.teardown(() => c.destroy())
  await c.request('POST', '/api/relay/broadcast/ready', { body: READY, headers: json })
  t.equal((await c.response()).status, 200, 'ready')
  await c.request('GET', lookupOf(alice.email))
  t.equal((await c.response()).status, 200, 'lookup')
})

t.test('remembered heads do not keep the bodies they arrived with', async (t) => {
  v8.setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const { tracker, alice, stats } = await setup(t)
  const c = await RawClient.connect(tracker.port, alice)
  t.teardown(() => c.destroy())
  // Valid readies whose bodies are 15 KiB of white space around the JSON, each with a head of its own.
  const body = `${' '.repeat(15_000)}${READY}`
  const send = async (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      await c.request('POST', '/api/relay/broadcast/ready', { body, headers: { ...json, 'X-Seq': String(i) } })
      const res = await c.response()
      if (res.status !== 200) t.fail(`ready ${i}: ${res.status}`)
    }
  }
  await send(0, 200)
  const handedOff = stats().handedOff
  gc()
  const before = process.memoryUsage().heapUsed
  await send(200, 2200)
  gc()
  const grown = process.memoryUsage().heapUsed - before
  t.equal(stats().handedOff, handedOff, '2,000 readies with 2,000 distinct heads were served in the lane')
  t.ok(grown < 10 * 1024 * 1024, `the heap grew ${(grown / 1e6).toFixed(1)} MB for 2,000 remembered heads, not the 30 MB their bodies would take`)
})
