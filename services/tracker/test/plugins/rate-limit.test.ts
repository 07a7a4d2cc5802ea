import t from 'tap'
import { addressKey, MemoryRateCounter } from '../../src/plugins/rate-limit.js'
import { as, buildTestApp, makeIdentity, register } from '../helper.js'

t.test('addressKey: IPv4 as is, IPv6 by /64, v4-mapped as IPv4', async (t) => {
  t.equal(addressKey('192.0.2.1'), '192.0.2.1', 'IPv4 is its own key')
  t.equal(addressKey('::ffff:192.0.2.1'), '192.0.2.1', 'a v4-mapped address counts as the IPv4 one')
  t.equal(addressKey('2001:db8:1:2:aaaa::1'), addressKey('2001:db8:1:2:bbbb::9'), 'addresses of one /64 share a key')
  t.not(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'), 'different /64s do not')
})

t.test('MemoryRateCounter: fixed windows, forgotten when they end', async (t) => {
  const c = new MemoryRateCounter()
  t.same(c.hit('a', 60_000, 10), { count: 1, resetAt: 60_000 }, 'the first hit')
  t.equal(c.hit('a', 60_000, 59_999).count, 2, 'same window')
  t.equal(c.hit('a', 60_000, 60_000).count, 1, 'the next window starts over')
  t.equal(c.size, 1, 'old windows are dropped whole')
})

t.test('per identity N, per address 2N, 429 with Retry-After', async (t) => {
  const { app, clock } = await buildTestApp(t, { config: { rateLimitPerMin: 3 } })
  // Registrations happen in the minute before, so they do not count against the budgets tested.
  clock.now = Date.UTC(2030, 0, 1, 0, 0, 10) - 60_000
  const alice = await makeIdentity('alice@example.com')
  const bob = await makeIdentity('bob@example.com')
  const carol = await makeIdentity('carol@example.com')
  await register(app, alice)
  await register(app, bob)
  await register(app, carol)
  clock.now += 60_000
  const get = (headers: Record<string, string>, remoteAddress = '192.0.2.50') =>
    app.inject({ url: '/api/relay/broadcast/list', headers, remoteAddress })

  for (let i = 1; i <= 3; i++) t.equal((await get(as(alice))).statusCode, 200, `alice's request ${i} of 3 passes`)
  const limited = await get(as(alice))
  t.equal(limited.statusCode, 429, "alice's 4th request in the minute is refused")
  t.equal(limited.json().error, 'rate_limited', 'with the rate_limited code')
  t.equal(limited.headers['retry-after'], '50', 'Retry-After says when the window ends (in seconds)')
  t.equal((await get(as(bob))).statusCode, 200, 'another identity from the same address still passes')
  t.equal((await get(as(bob))).statusCode, 200, 'bob 2')
  const addressLimited = await get(as(carol))
  t.equal(addressLimited.statusCode, 429, 'the address, at 2N = 6 requests (alice 4, bob 2), is now limited for everyone')
  t.equal((await get(as(carol), '192.0.2.51')).statusCode, 200, 'carol from another address passes')
  t.equal((await app.inject({ url: '/health', remoteAddress: '192.0.2.50' })).statusCode, 200, 'health checks are never limited')
  clock.now += 60_000
  t.equal((await get(as(alice))).statusCode, 200, 'a new minute, a new budget')
})

t.test('RATE_LIMIT_PER_MIN=0 turns limiting off', async (t) => {
  const { app } = await buildTestApp(t, { config: { rateLimitPerMin: 0 } })
  for (let i = 0; i < 50; i++) await app.inject({ url: '/api/relay/status' })
  const res = await app.inject({ url: '/api/relay/status' })
  t.equal(res.statusCode, 200, 'no request is refused')
  t.notOk(res.headers['x-ratelimit-limit'], 'and no rate-limit headers are sent')
})

t.test('a trusted proxy address has no per-address budget; identities still do', async (t) => {
  const { app } = await buildTestApp(t, { config: { rateLimitPerMin: 2, trustProxy: ['10.9.0.0/16'] } })
  const ids = await Promise.all(['a', 'b', 'c'].map((n) => makeIdentity(`${n}@example.com`)))
  const get = (headers: Record<string, string>, remoteAddress: string) => app.inject({ url: '/api/relay/status', headers, remoteAddress })
  for (const id of ids) {
    t.equal((await get(as(id), '10.9.1.1')).statusCode, 200, `${id.email} through the balancer, request 1`)
    t.equal((await get(as(id), '10.9.1.1')).statusCode, 200, `${id.email} through the balancer, request 2`)
  }
  t.equal((await get(as(ids[0]!), '10.9.1.1')).statusCode, 429, 'six requests from the balancer address passed; the identity budget (2) still holds')
  for (let i = 0; i < 4; i++) await get({}, '192.0.2.77')
  t.equal((await get({}, '192.0.2.77')).statusCode, 429, 'an ordinary address keeps its budget (2N = 4)')
})
