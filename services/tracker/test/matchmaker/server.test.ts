/**
 * The UDP matchmaker over real sockets on loopback: register, observed address, connect delivering
 * both sides, the older target_ip form, forged and expired tokens, no amplification, rate limits,
 * expiry of registrations, and 10,000 random or malformed datagrams that leave it answering.
 *
 * "No answer" is shown without waiting for a timeout: after the datagram that must go unanswered the
 * same socket sends a valid one, and the first reply to arrive must be the valid one's (the server
 * handles datagrams in order and loopback keeps their order).
 */
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { issueToken } from '../../src/matchmaker/token.js'
import { startMatchmaker, type MatchmakerOptions, type RunningMatchmaker } from '../../src/matchmaker/server.js'
import { UdpClient } from './helper.js'

const key = randomBytes(32)
/** Warnings any matchmaker of this file logged (checked by the last test). */
const warnings: unknown[] = []
const clock = { now: Date.now() }
const fp = (n: number) => n.toString(16).padStart(64, '0')

function token(email: string, n = 1, ttlS = 300, signingKey: Uint8Array = key): string {
  return issueToken(signingKey, { email, fingerprint: fp(n), expiresAtS: Math.floor(clock.now / 1000) + ttlS })
}

async function matchmaker(t: Test, options: Partial<MatchmakerOptions> = {}): Promise<RunningMatchmaker> {
  const mm = await startMatchmaker({
    host: '127.0.0.1',
    port: 0,
    key,
    now: () => clock.now,
    sweepIntervalMs: 0,
    logger: { debug: () => {}, info: () => {}, warn: (obj) => void warnings.push(obj) },
    ...options,
  })
  t.teardown(() => mm.close())
  return mm
}

async function client(t: Test, type: 'udp4' | 'udp6' = 'udp4'): Promise<UdpClient> {
  const c = await UdpClient.open(type)
  t.teardown(() => c.close())
  return c
}

/** Register `email` from `c` and return the reply. */
async function register(c: UdpClient, mm: RunningMatchmaker, email: string, n = 1) {
  await c.send({ type: 'register', token: token(email, n) }, mm.port)
  return c.next()
}

t.test('register: the observed address comes back', async (t) => {
  const mm = await matchmaker(t)
  const alice = await client(t)
  const reply = await register(alice, mm, 'alice@example.com')
  t.same(reply.json, { type: 'registered', observed: { ip: '127.0.0.1', port: alice.port } }, 'registered, with the address the datagram came from')
  t.equal(reply.from.port, mm.port, 'the answer comes from the matchmaker port')
  const again = await register(alice, mm, 'alice@example.com')
  t.equal(again.json.type, 'registered', 'a repeated register (keep-alive) is answered the same way')
  t.equal(mm.stats().registrations, 1, 'and stays one registration')
})

t.test('connect: both sides learn each other at once', async (t) => {
  const mm = await matchmaker(t)
  const alice = await client(t)
  const bob = await client(t)
  await register(alice, mm, 'alice@example.com', 1)
  await register(bob, mm, 'bob@example.com', 2)
  await alice.send({ type: 'connect', token: token('alice@example.com', 1), target: 'Bob@Example.com' }, mm.port)
  const [toAlice, toBob] = await Promise.all([alice.next(), bob.next()])
  t.same(toAlice.json, { type: 'peer', email: 'bob@example.com', observed: { ip: '127.0.0.1', port: bob.port } }, 'the requester learns where the target is (e-mail compared case-insensitively)')
  t.same(toBob.json, { type: 'peer', email: 'alice@example.com', observed: { ip: '127.0.0.1', port: alice.port } }, 'the target learns where the requester is')

  // A connect also registers its sender: carol never sent register, yet dave can reach her after.
  const carol = await client(t)
  const dave = await client(t)
  await register(dave, mm, 'dave@example.com', 4)
  await carol.send({ type: 'connect', token: token('carol@example.com', 3), target: 'dave@example.com' }, mm.port)
  const [toCarol, toDave] = await Promise.all([carol.next(), dave.next()])
  t.equal(toCarol.json.email, 'dave@example.com', 'a connect from an unregistered requester with a valid token works')
  t.same(toDave.json.observed, { ip: '127.0.0.1', port: carol.port }, 'and the target gets the requester\'s observed address')
  await dave.send({ type: 'connect', token: token('dave@example.com', 4), target: 'carol@example.com' }, mm.port)
  t.equal((await carol.next()).json.email, 'dave@example.com', 'the requester was registered by its connect')
  t.equal((await dave.next()).json.email, 'carol@example.com', 'and the reverse connect works')
})

t.test('connect to someone not registered: not_registered', async (t) => {
  const mm = await matchmaker(t)
  const alice = await client(t)
  await register(alice, mm, 'alice@example.com')
  const request = { type: 'connect', token: token('alice@example.com'), target: 'nobody@example.com' }
  await alice.send(request, mm.port)
  const reply = await alice.next()
  t.same(reply.json, { type: 'error', error: 'not_registered' }, 'an error says the target is not registered')
  t.ok(reply.raw.length <= Buffer.byteLength(JSON.stringify(request)), 'and is no larger than the request')
})

t.test('the older form: connect by target_ip', async (t) => {
  const mm = await matchmaker(t)
  const alice = await client(t)
  const bob = await client(t)
  const stranger = await client(t)
  await register(alice, mm, 'alice@example.com', 1)
  await register(bob, mm, 'bob@example.com', 2)
  await alice.send({ type: 'connect', target_ip: '127.0.0.1' }, mm.port)
  const [toAlice, toBob] = await Promise.all([alice.next(), bob.next()])
  t.same(toAlice.json, { type: 'peer', email: 'bob@example.com', observed: { ip: '127.0.0.1', port: bob.port } }, 'a registered requester reaches the peer registered from that IP (not itself)')
  t.equal(toBob.json.email, 'alice@example.com', 'and the target hears about the requester')

  const legacy = { type: 'connect', target_ip: '127.0.0.1' }
  await stranger.send(legacy, mm.port)
  await stranger.send({ type: 'register', token: token('stranger@example.com', 3) }, mm.port)
  const first = await stranger.next()
  t.same(first.json, { type: 'error', error: 'not_registered' }, 'an unregistered source is told it is not registered')
  t.ok(first.raw.length <= Buffer.byteLength(JSON.stringify(legacy)), 'in no more bytes than it sent')
  t.equal((await stranger.next()).json.type, 'registered', 'then its register is answered')

  await alice.send({ type: 'connect', target_ip: '192.0.2.77' }, mm.port)
  t.same((await alice.next()).json, { type: 'error', error: 'not_registered' }, 'nobody registered from the target IP: not_registered')
  await alice.send({ type: 'connect', target_ip: '0x7f.1' }, mm.port)
  await alice.send({ type: 'register', token: token('alice@example.com', 1) }, mm.port)
  t.equal((await alice.next()).json.type, 'registered', 'a target_ip that is no plain IP literal gets no answer')
})

t.test('forged and expired tokens are refused, never registered', async (t) => {
  const mm = await matchmaker(t)
  const mallory = await client(t)
  const forged = { type: 'register', token: token('alice@example.com', 1, 300, randomBytes(32)) }
  await mallory.send(forged, mm.port)
  const reply = await mallory.next()
  t.same(reply.json, { type: 'error', error: 'invalid_token' }, 'a token signed with another key: invalid_token')
  t.ok(reply.raw.length <= Buffer.byteLength(JSON.stringify(forged)), 'the error is no larger than the request')
  t.equal(mm.stats().registrations, 0, 'nothing was registered')

  const genuine = token('alice@example.com', 1, 60)
  const [payload, mac] = genuine.split('.') as [string, string]
  const altered = Buffer.from(payload, 'base64url')
  altered.write('mallory@x', 37)
  await mallory.send({ type: 'register', token: `${altered.toString('base64url')}.${mac}` }, mm.port)
  t.same((await mallory.next()).json, { type: 'error', error: 'invalid_token' }, 'an e-mail changed under a valid MAC: invalid_token')

  const bob = await client(t)
  await register(bob, mm, 'bob@example.com', 2)
  clock.now += 61_000
  t.teardown(() => void (clock.now = Date.now()))
  await mallory.send({ type: 'connect', token: genuine, target: 'bob@example.com' }, mm.port)
  t.same((await mallory.next()).json, { type: 'error', error: 'invalid_token' }, 'an expired token cannot connect')
  await mallory.send({ type: 'register', token: genuine }, mm.port)
  t.same((await mallory.next()).json, { type: 'error', error: 'invalid_token' }, 'nor register')
  t.equal(bob.pending, 0, 'the target heard nothing of it')

  // A tiny datagram with a bad token would get an error larger than itself: it gets nothing.
  await mallory.send({ type: 'register', token: 'x' }, mm.port)
  await mallory.send({ type: 'register', token: token('mallory@example.com', 9) }, mm.port)
  t.equal((await mallory.next()).json.type, 'registered', 'a 31-byte forgery is not answered (the next reply is the valid register\'s)')
  t.equal(mm.stats().invalidTokens, 5, 'every refused token was counted')
})

t.test('oversized datagrams are dropped unread', async (t) => {
  const mm = await matchmaker(t)
  const c = await client(t)
  const padded = Buffer.from(JSON.stringify({ type: 'register', token: token('big@example.com'), pad: 'x'.repeat(1200) }))
  t.ok(padded.length > 1200, 'the datagram is over 1200 bytes')
  await c.send(padded, mm.port)
  const exact = JSON.stringify({ type: 'register', token: token('big@example.com') })
  const fill = Buffer.from(exact.slice(0, -1) + `,"pad":"${'x'.repeat(1200 - Buffer.byteLength(exact) - 9)}"}`)
  t.equal(fill.length, 1200, 'a datagram of exactly 1200 bytes')
  await c.send(fill, mm.port)
  const reply = await c.next()
  t.equal(reply.json.type, 'registered', 'the 1200-byte register is answered, the larger one was not')
  t.equal(mm.stats().oversized, 1, 'one datagram was counted as oversized')
})

t.test('per-source rate limit', async (t) => {
  const mm = await matchmaker(t, { rate: { perSecond: 1, burst: 3 } })
  const c = await client(t)
  const register4 = async () => {
    for (let i = 0; i < 4; i++) await c.send({ type: 'register', token: token('busy@example.com') }, mm.port)
  }
  await register4()
  for (let i = 0; i < 3; i++) t.equal((await c.next()).json.type, 'registered', `register ${i + 1} of the burst is answered`)
  clock.now += 2000
  t.teardown(() => void (clock.now = Date.now()))
  await c.send({ type: 'register', token: token('busy@example.com') }, mm.port)
  t.equal((await c.next()).json.type, 'registered', 'after the bucket refills, the next one is answered')
  t.equal(mm.stats().rateLimited, 1, 'exactly the fourth of the burst was dropped')
  t.equal(c.pending, 0, 'nothing else arrived')
})

t.test('registrations lapse 120 s after the last register', async (t) => {
  const mm = await matchmaker(t)
  const alice = await client(t)
  const bob = await client(t)
  await register(alice, mm, 'alice@example.com', 1)
  await register(bob, mm, 'bob@example.com', 2)
  clock.now += 100_000
  t.teardown(() => void (clock.now = Date.now()))
  await register(bob, mm, 'bob@example.com', 2)
  clock.now += 30_000
  t.equal(mm.sweep(), 1, 'the sweep drops alice (130 s) and keeps bob (30 s)')
  await bob.send({ type: 'connect', token: token('bob@example.com', 2), target: 'alice@example.com' }, mm.port)
  t.same((await bob.next()).json, { type: 'error', error: 'not_registered' }, 'a lapsed registration cannot be reached')
  // bob's connect just now registered him again: 121 s on he has lapsed, swept or not.
  clock.now += 121_000
  await alice.send({ type: 'connect', token: token('alice@example.com', 1), target: 'bob@example.com' }, mm.port)
  t.same((await alice.next()).json, { type: 'error', error: 'not_registered' }, 'a registration past 120 s is gone even before a sweep')
  t.equal(mm.stats().registrations, 1, 'only alice (registered again by her connect) is left')
})

t.test('a source belongs to one identity; a full table drops the oldest', async (t) => {
  const mm = await matchmaker(t, { maxRegistrations: 2 })
  const shared = await client(t)
  const other = await client(t)
  await register(shared, mm, 'first@example.com', 1)
  await register(shared, mm, 'second@example.com', 2)
  t.equal(mm.stats().registrations, 1, 'a second identity registering from the same address takes it over')
  await register(other, mm, 'third@example.com', 3)
  const fourth = await client(t)
  await register(fourth, mm, 'fourth@example.com', 4)
  t.equal(mm.stats().registrations, 2, 'the table never holds more than its bound')
  await fourth.send({ type: 'connect', token: token('fourth@example.com', 4), target: 'second@example.com' }, mm.port)
  t.same((await fourth.next()).json, { type: 'error', error: 'not_registered' }, 'the oldest registration made room')
})

t.test('IPv6 and dual stack', async (t) => {
  const v6 = await matchmaker(t, { host: '::1' })
  const c6 = await client(t, 'udp6')
  await c6.send({ type: 'register', token: token('six@example.com') }, v6.port, '::1')
  t.same((await c6.next()).json, { type: 'registered', observed: { ip: '::1', port: c6.port } }, 'an IPv6 client sees its IPv6 address')

  const dual = await matchmaker(t, { host: '::' })
  const c4 = await client(t)
  const c6b = await client(t, 'udp6')
  await c4.send({ type: 'register', token: token('four@example.com', 4) }, dual.port, '127.0.0.1')
  t.same((await c4.next()).json, { type: 'registered', observed: { ip: '127.0.0.1', port: c4.port } }, 'on a dual-stack socket an IPv4 client sees plain IPv4, not ::ffff:')
  await c6b.send({ type: 'register', token: token('sixb@example.com', 6) }, dual.port, '::1')
  await c6b.next()
  await c6b.send({ type: 'connect', token: token('sixb@example.com', 6), target: 'four@example.com' }, dual.port, '::1')
  const [to6, to4] = await Promise.all([c6b.next(), c4.next()])
  t.same(to6.json.observed, { ip: '127.0.0.1', port: c4.port }, 'an IPv6 peer learns the IPv4 peer\'s address')
  t.same(to4.json.observed, { ip: '::1', port: c6b.port }, 'and the IPv4 peer is reached through the dual-stack socket')
})

/** One random or hostile datagram. */
function junk(i: number): Buffer {
  const valid = token('fuzz@example.com', 7)
  const shapes: (() => unknown)[] = [
    () => randomBytes(Math.floor(Math.random() * 1400)),
    () => Buffer.alloc(0),
    () => '{"type":"register"',
    () => 'null',
    () => '[]',
    () => '"register"',
    () => '1e999999',
    () => JSON.stringify({ type: 'register' }),
    () => JSON.stringify({ type: 'register', token: 42 }),
    () => JSON.stringify({ type: 'register', token: { toString: 'x' } }),
    () => JSON.stringify({ type: 'register', token: randomBytes(40).toString('base64url') + '.' + randomBytes(32).toString('base64url') }),
    () => JSON.stringify({ type: 'register', token: valid.slice(0, -2) + 'AA' }),
    () => JSON.stringify({ type: 'connect', token: valid.replace('.', '..'), target: 'x@y' }),
    () => JSON.stringify({ type: 'connect', target: ['a'], token: valid.slice(1) }),
    () => JSON.stringify({ type: 'connect', target_ip: '999.1.1.1' }),
    () => JSON.stringify({ type: 'connect', target_ip: { __proto__: 1 } }),
    () => '{"__proto__":{"type":"register"},"constructor":{"prototype":{"polluted":true}}}',
    () => JSON.stringify({ type: 'Register', token: valid }),
    () => JSON.stringify({ type: 'connect', token: valid + 'x'.repeat(300), target: 'y@z' }),
    () => '['.repeat(500) + ']'.repeat(500),
    () => JSON.stringify({ type: 'connect', token: valid, target: 'x'.repeat(400) }),
    () => Buffer.concat([Buffer.from('{"type":"register","token":"'), randomBytes(100), Buffer.from('"}')]),
    () => '\uFEFF{"type":"register"}',
    () => JSON.stringify({ type: 'peer', email: 'x@y', observed: { ip: '127.0.0.1', port: 1 } }),
    () => JSON.stringify({ type: 'error', error: 'loop' }),
  ]
  const made = (shapes[i % shapes.length] as () => unknown)()
  return Buffer.isBuffer(made) ? made : Buffer.from(made as string)
}

t.test('10,000 random and malformed datagrams leave it answering', async (t) => {
  const mm = await matchmaker(t, { rate: { perSecond: 0, burst: 0 } })
  const fuzzer = await client(t)
  const prober = await client(t)
  let sentBytes = 0
  for (let batch = 0; batch < 20; batch++) {
    for (let i = 0; i < 500; i++) {
      const datagram = junk(batch * 500 + i)
      sentBytes += datagram.length
      await fuzzer.send(datagram, mm.port)
    }
    // A round trip after each batch: the server has handled everything before it.
    await prober.send({ type: 'register', token: token('probe@example.com', 8) }, mm.port)
    t.equal((await prober.next()).json.type, 'registered', `after batch ${batch + 1} of 500 junk datagrams a register is answered`)
  }
  const stats = mm.stats()
  t.ok(stats.received >= 10_020, `every datagram reached the handler (${stats.received})`)
  t.equal(stats.registers, 20, 'none of the junk registered anything; only the 20 probes did')
  t.equal(stats.connects, 0, 'and none of it connected anyone')
  const replies = fuzzer.received
  t.ok(replies.every((r) => r.json.type === 'error'), `the junk got only errors back (${replies.length} of them)`)
  const receivedBytes = replies.reduce((n, r) => n + r.raw.length, 0)
  t.ok(receivedBytes <= sentBytes, `no amplification: ${receivedBytes} bytes answered to ${sentBytes} sent`)
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was polluted')

  const alice = await client(t)
  await alice.send({ type: 'connect', token: token('alice@example.com', 9), target: 'probe@example.com' }, mm.port)
  const [toAlice, toProbe] = await Promise.all([alice.next(), prober.next()])
  t.equal(toAlice.json.email, 'probe@example.com', 'connects still work afterwards')
  t.equal(toProbe.json.email, 'alice@example.com', 'in both directions')
})

t.test('a port in use fails the start; close is idempotent', async (t) => {
  const mm = await matchmaker(t)
  await t.rejects(startMatchmaker({ host: '127.0.0.1', port: mm.port, key }), /EADDRINUSE/, 'a second matchmaker on the same port is refused')
  const other = await startMatchmaker({ host: '127.0.0.1', port: 0, key })
  await other.close()
  await other.close()
  t.pass('closing twice is harmless')
})

t.test('no matchmaker of this file logged a warning (no handler error, no socket error)', async (t) => {
  t.same(warnings, [], 'no warnings')
})
