/**
 * Client addresses behind proxies (RELAY_TRUST_PROXY): the resolver table-driven, then proxy header
 * trust on and off through the app (rate-limit budgets, the observed address that replaces 0.0.0.0),
 * the plain-HTTP listener behind a proxy, and the TLS listener, which never believes the headers.
 */
import t from 'tap'
import { request as httpRequest } from 'node:http'
import { pino } from 'pino'
import { canonicalClientIp, replaceUnspecified, resolveClientAddress } from '../src/client-address.js'
import { startTracker } from '../src/start.js'
import { makeTrustMatcher } from '../src/trust-proxy.js'
import { as, buildTestApp, https, makeIdentity, register } from './helper.js'

const alice = await makeIdentity('alice@example.com')

t.test('resolveClientAddress', async (t) => {
  const trust = makeTrustMatcher(['10.0.0.0/8', '127.0.0.1', 'fd00::/8'])
  const none = makeTrustMatcher([])
  const cases: [string, string, Record<string, string | string[]>, ReturnType<typeof makeTrustMatcher>, string][] = [
    ['an untrusted peer: headers ignored', '198.51.100.7', { 'x-forwarded-for': '203.0.113.1', 'cf-connecting-ip': '203.0.113.2' }, trust, '198.51.100.7'],
    ['no trust configured: headers ignored', '127.0.0.1', { 'x-forwarded-for': '203.0.113.1' }, none, '127.0.0.1'],
    ['trusted peer, no headers: the peer', '10.1.2.3', {}, trust, '10.1.2.3'],
    ['trusted peer: cf-connecting-ip first', '10.1.2.3', { 'cf-connecting-ip': '203.0.113.2', 'x-forwarded-for': '203.0.113.1' }, trust, '203.0.113.2'],
    ['trusted peer: the right-most untrusted x-forwarded-for entry', '10.1.2.3', { 'x-forwarded-for': '1.1.1.1, 203.0.113.1, 10.9.9.9' }, trust, '203.0.113.1'],
    ['a client cannot prepend its way in', '127.0.0.1', { 'x-forwarded-for': '6.6.6.6, 198.51.100.9' }, trust, '198.51.100.9'],
    ['all hops trusted: the left-most', '10.1.2.3', { 'x-forwarded-for': '10.0.0.1, 10.0.0.2' }, trust, '10.0.0.1'],
    ['a malformed hop ends the walk', '10.1.2.3', { 'x-forwarded-for': '203.0.113.1, garbage, 10.0.0.2' }, trust, '10.0.0.2'],
    ['a malformed right-most hop: the peer', '10.1.2.3', { 'x-forwarded-for': '203.0.113.1, 1.2.3.4:80' }, trust, '10.1.2.3'],
    ['a malformed cf-connecting-ip falls back to x-forwarded-for', '10.1.2.3', { 'cf-connecting-ip': 'nope', 'x-forwarded-for': '203.0.113.1' }, trust, '203.0.113.1'],
    ['a repeated cf-connecting-ip is not believed', '10.1.2.3', { 'cf-connecting-ip': '203.0.113.2, 203.0.113.3' }, trust, '10.1.2.3'],
    ['a repeated x-forwarded-for header counts as one list', '10.1.2.3', { 'x-forwarded-for': ['203.0.113.1', '10.0.0.5'] }, trust, '203.0.113.1'],
    ['IPv6 hops, canonical form', 'fd00::1', { 'x-forwarded-for': '2001:DB8:0::1' }, trust, '2001:db8::1'],
    ['an IPv4-mapped peer is matched and shown as IPv4', '::ffff:10.1.2.3', {}, trust, '10.1.2.3'],
    ['an IPv4-mapped forwarded address is shown as IPv4', '::ffff:127.0.0.1', { 'x-forwarded-for': '::ffff:203.0.113.4' }, trust, '203.0.113.4'],
  ]
  for (const [what, peer, headers, matcher, expected] of cases) {
    t.equal(resolveClientAddress(peer, headers, matcher), expected, what)
  }
  t.equal(resolveClientAddress(undefined, {}, trust), '', 'no socket address: empty, no throw')
  t.equal(canonicalClientIp('0x7f.1'), undefined, 'non-decimal IPv4 spellings are not addresses')
})

t.test('replaceUnspecified', async (t) => {
  const cases: [string[], string | undefined, string[], string][] = [
    [['0.0.0.0', '2001:db8::1'], '203.0.113.9', ['203.0.113.9', '2001:db8::1'], '0.0.0.0 becomes the observed address, in place'],
    [['::'], '2001:db8::9', ['2001:db8::9'], ':: too'],
    [['0:0:0:0:0:0:0:0'], '198.51.100.1', ['198.51.100.1'], 'any spelling of ::'],
    [['203.0.113.9', '0.0.0.0'], '203.0.113.9', ['203.0.113.9'], 'a replacement already listed is dropped, not duplicated'],
    [['0.0.0.0', '::'], '203.0.113.9', ['203.0.113.9'], 'two unspecified addresses give one'],
    [['192.0.2.1'], '203.0.113.9', ['192.0.2.1'], 'nothing unspecified: unchanged'],
    [['0.0.0.0'], '::ffff:203.0.113.9', ['203.0.113.9'], 'an IPv4-mapped observed address is stored as IPv4'],
    [['0.0.0.0', 'bogus'], '203.0.113.9', ['203.0.113.9', 'bogus'], 'other entries are left for validation'],
    [['0.0.0.0'], undefined, ['0.0.0.0'], 'no observed address: unchanged'],
  ]
  for (const [input, observed, expected, what] of cases) t.same(replaceUnspecified(input, observed), expected, what)
})

t.test('through the app: trust on and off', async (t) => {
  const readyWith = async (trustProxy: string[], headers: Record<string, string>) => {
    const { app } = await buildTestApp(t, { trustProxy })
    await register(app, alice)
    const res = await app.inject({ method: 'POST', url: '/api/relay/broadcast/ready', headers: { ...as(alice), ...headers }, payload: { port: 4000, addresses: ['0.0.0.0'] } })
    t.equal(res.statusCode, 200, 'ready is accepted')
    const lookup = await app.inject({ url: `/api/relay/broadcast/lookup?email=${alice.email}`, headers: as(alice) })
    return lookup.json().addresses as string[]
  }
  // inject connects from 127.0.0.1.
  t.same(await readyWith(['127.0.0.1'], { 'x-forwarded-for': '203.0.113.50' }), ['203.0.113.50'], 'trusted proxy: the forwarded client address replaces 0.0.0.0')
  t.same(await readyWith(['127.0.0.1'], { 'x-forwarded-for': '203.0.113.50', 'cf-connecting-ip': '198.51.100.60' }), ['198.51.100.60'], 'trusted proxy: cf-connecting-ip wins')
  t.same(await readyWith([], { 'x-forwarded-for': '203.0.113.50', 'cf-connecting-ip': '198.51.100.60' }), ['127.0.0.1'], 'no trusted proxy: the headers are ignored, the socket address is used')
  t.same(await readyWith(['10.0.0.0/8'], { 'x-forwarded-for': '203.0.113.50' }), ['127.0.0.1'], 'a peer outside RELAY_TRUST_PROXY: ignored')

  // Rate limits count per client address: 1/min per identity, 2/min per address (no certificate here).
  const limited = async (trustProxy: string[]) => {
    const { app } = await buildTestApp(t, { trustProxy, config: { rateLimitPerMin: 1 } })
    const statuses: number[] = []
    for (const client of ['203.0.113.1', '203.0.113.1', '203.0.113.1', '203.0.113.2']) {
      statuses.push((await app.inject({ url: '/api/relay/status', headers: { 'x-forwarded-for': client } })).statusCode)
    }
    return statuses
  }
  t.same(await limited(['127.0.0.1']), [200, 200, 429, 200], 'trusted: each forwarded client has its own budget')

  // The request log names the resolved client address.
  const logged = async (trustProxy: string[]) => {
    const lines: { msg: string; client?: string }[] = []
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
    const { app } = await buildTestApp(t, { trustProxy, logger })
    await app.inject({ url: '/api/relay/status', headers: { 'x-forwarded-for': '203.0.113.9' } })
    return lines.find((l) => l.msg === 'request completed')?.client
  }
  t.equal(await logged(['127.0.0.1']), '203.0.113.9', 'trusted: the log line carries the forwarded client address')
  t.equal(await logged([]), '127.0.0.1', 'untrusted: the socket address')
  t.same(await limited([]), [200, 200, 429, 429], 'untrusted: everyone behind the socket address shares one budget')
})

function httpGet(url: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; json: () => unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = httpRequest(new URL(path, url), {
      method: payload === undefined ? 'GET' : 'POST',
      headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }) },
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: () => JSON.parse(Buffer.concat(chunks).toString('utf8')) }))
    })
    req.on('error', reject)
    req.end(payload)
  })
}

t.test('real listeners: the plain-HTTP one behind a trusted proxy, and TLS, which ignores the headers', async (t) => {
  const tracker = await startTracker({ logger: false, rateLimitPerMin: 0, httpPort: 0, trustProxy: ['127.0.0.1'] })
  t.teardown(() => tracker.close())
  const http = tracker.http as { url: string }
  // As nginx would forward it: the client certificate (escaped PEM) and the client address.
  const proxied = { 'x-ssl-cert': encodeURIComponent(alice.certPem), 'x-forwarded-for': '203.0.113.77' }
  t.equal((await httpGet(http.url, '/api/relay/register', proxied, { certificate: alice.certPem, email: alice.email })).status, 200, 'registered through the proxy listener')
  t.equal((await httpGet(http.url, '/api/relay/broadcast/ready', proxied, { port: 4000, addresses: ['0.0.0.0', '::1'] })).status, 200, 'ready through the proxy listener')
  const viaProxy = await https(tracker.url, { path: `/api/relay/broadcast/lookup?email=${alice.email}`, identity: alice })
  t.same((viaProxy.json() as { addresses: string[] }).addresses, ['203.0.113.77', '::1'], 'behind the trusted proxy, 0.0.0.0 became the forwarded client address')

  const direct = await https(tracker.url, {
    path: '/api/relay/broadcast/ready',
    identity: alice,
    body: { port: 4000, addresses: ['0.0.0.0'] },
    headers: { 'x-forwarded-for': '203.0.113.99', 'cf-connecting-ip': '203.0.113.98' },
  })
  t.equal(direct.status, 200, 'ready over TLS with forwarded headers')
  const viaTls = await https(tracker.url, { path: `/api/relay/broadcast/lookup?email=${alice.email}`, identity: alice })
  t.same((viaTls.json() as { addresses: string[] }).addresses, ['127.0.0.1'], 'on the TLS listener the headers are ignored even from a trusted address: the socket address is used')
})
