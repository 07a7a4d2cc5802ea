/** Forwarded client certificates on the plain-HTTP listener: parsing, and trust only from proxies. */
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pemToDer } from '@flashback/identity'
import { buildApp } from '../../src/app.js'
import {
  forwardedCertificateSource,
  parseClientCertHeader,
  parseNginxCert,
  parseXfcc,
} from '../../src/plugins/forwarded-certificate.js'
import { SqliteStore } from '../../src/store/sqlite/index.js'
import { makeTrustMatcher } from '../../src/trust-proxy.js'
import { makeIdentity, opensslIdentity } from '../helper.js'

const alice = await makeIdentity('alice@example.com')
const der = pemToDer(alice.certPem)
const b64 = Buffer.from(der).toString('base64')
const escaped = encodeURIComponent(alice.certPem)

t.test('makeTrustMatcher: IPs and CIDRs, v4-mapped addresses', async (t) => {
  const trusted = makeTrustMatcher(['127.0.0.1', '10.0.0.0/8', 'fd00::/8'])
  t.ok(trusted('127.0.0.1'), 'a listed IP')
  t.ok(trusted('::ffff:127.0.0.1'), 'its v4-mapped form')
  t.ok(trusted('10.20.30.40'), 'inside a v4 range')
  t.ok(trusted('fd12::1'), 'inside a v6 range')
  t.notOk(trusted('127.0.0.2'), 'a neighbour of a listed IP')
  t.notOk(trusted('192.168.1.1'), 'outside every range')
  t.notOk(trusted(undefined), 'no address')
  t.notOk(makeTrustMatcher([])('127.0.0.1'), 'an empty list trusts nobody')
})

t.test('header formats', async (t) => {
  t.same(parseClientCertHeader(`:${b64}:`), der, 'RFC 9440 Client-Cert: a byte sequence')
  t.equal(parseClientCertHeader(b64), undefined, 'without the colons it is not a byte sequence')
  t.equal(parseClientCertHeader(':***:'), undefined, 'not base64')
  t.same(parseNginxCert(escaped), der, 'nginx $ssl_client_escaped_cert (url-encoded PEM)')
  t.same(parseNginxCert(alice.certPem.trim().replace(/\n/g, '\n\t')), der, "nginx's old $ssl_client_cert (tab-indented PEM)")
  t.equal(parseNginxCert('%E0%A4%A'), undefined, 'broken escapes are no certificate')
  t.equal(parseNginxCert('garbage'), undefined, 'garbage is no certificate')

  const xfcc = parseXfcc(`By=spiffe://lb;Hash=${alice.fingerprint};Cert="${escaped}";Subject="CN=alice@example.com, O=\\"x\\""`)
  t.same(xfcc, { der, fingerprint: alice.fingerprint }, 'Envoy XFCC with Cert= and a matching Hash=')
  t.same(parseXfcc(`Hash=${alice.fingerprint.toUpperCase()}`), { fingerprint: alice.fingerprint }, 'XFCC with Hash= only gives the fingerprint')
  t.same(parseXfcc(`Hash=${'0'.repeat(64)},By=x;Hash=${alice.fingerprint}`), { fingerprint: alice.fingerprint }, 'the last element (the nearest proxy) counts')
  t.equal(parseXfcc(`Hash=${'1'.repeat(64)};Cert="${escaped}"`), undefined, 'a Hash that contradicts the Cert is refused')
  t.equal(parseXfcc('Hash=xyz'), undefined, 'a malformed hash is refused')
  t.equal(parseXfcc('By=spiffe://lb'), undefined, 'an element without Cert or Hash carries no certificate')
})

t.test('the plain-HTTP app believes forwarded certificates from trusted proxies only', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fb-fwd-'))
  const store = new SqliteStore({ path: join(dir, 'tracker.db') })
  const app = await buildApp({
    store,
    config: { rateLimitPerMin: 0, dataDir: dir },
    sweeper: false,
    clientCertificate: forwardedCertificateSource(makeTrustMatcher(['10.0.0.1'])),
    trustProxy: ['10.0.0.1'],
  })
  t.teardown(async () => {
    await app.close()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  const proxy = '10.0.0.1'
  const register = (headers: Record<string, string>, remoteAddress: string, id = alice) =>
    app.inject({ method: 'POST', url: '/api/relay/register', headers, remoteAddress, payload: { certificate: id.certPem, email: id.email } })

  const forged = await register({ 'client-cert': `:${b64}:` }, '192.0.2.9')
  t.equal(forged.statusCode, 401, 'from an untrusted address the header is ignored (401)')
  const viaRfc = await register({ 'client-cert': `:${b64}:` }, proxy)
  t.equal(viaRfc.statusCode, 200, 'RFC 9440 Client-Cert from the trusted proxy registers')
  t.equal(viaRfc.json().fingerprint, alice.fingerprint, 'as the forwarded certificate')

  const bob = opensslIdentity('bob@example.com', 'ed25519')
  const bobDer = Buffer.from(pemToDer(bob.certPem)).toString('base64')
  t.equal((await register({ 'x-ssl-cert': encodeURIComponent(bob.certPem) }, proxy, bob)).statusCode, 200, 'nginx X-SSL-Cert registers (openssl Ed25519 certificate)')

  const carol = await makeIdentity('carol@example.com')
  const xfccCarol = `Hash=${carol.fingerprint};Cert="${encodeURIComponent(carol.certPem)}"`
  t.equal((await register({ 'x-forwarded-client-cert': xfccCarol }, proxy, carol)).statusCode, 200, 'Envoy XFCC with Cert= registers')
  const hashOnly = await app.inject({
    method: 'POST',
    url: '/api/relay/broadcast/ready',
    remoteAddress: proxy,
    headers: { 'x-forwarded-client-cert': `Hash=${carol.fingerprint}`, 'x-forwarded-for': '198.51.100.7' },
    payload: { port: 4443, addresses: ['198.51.100.7'] },
  })
  t.equal(hashOnly.statusCode, 200, 'XFCC with only Hash= identifies a registered client')
  const mismatch = await register({ 'client-cert': `:${bobDer}:` }, proxy, alice)
  t.equal(mismatch.statusCode, 403, 'a forwarded certificate other than the body one: certificate_mismatch, as over TLS')
  const twice = await app.inject({
    method: 'GET',
    url: '/api/relay/broadcast/list',
    remoteAddress: proxy,
    headers: { 'client-cert': [`:${b64}:`, `:${bobDer}:`] as unknown as string },
  })
  t.equal(twice.statusCode, 401, 'a repeated certificate header is believed from nobody')
  t.equal((await app.inject({ url: '/api/relay/broadcast/list', remoteAddress: proxy })).statusCode, 401, 'no header from the proxy: no certificate')
})

t.test('client address from X-Forwarded-For only through trusted proxies', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fb-fwd-'))
  const store = new SqliteStore({ path: join(dir, 'tracker.db') })
  const app = await buildApp({ store, config: { rateLimitPerMin: 1, dataDir: dir }, sweeper: false, trustProxy: ['10.0.0.1'], clientCertificate: () => undefined })
  t.teardown(async () => {
    await app.close()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  // 2 requests per minute per address: each forwarded client has its own budget through the proxy.
  const hit = (xff: string, remoteAddress = '10.0.0.1') => app.inject({ url: '/api/relay/status', remoteAddress, headers: { 'x-forwarded-for': xff } })
  t.equal((await hit('198.51.100.1')).statusCode, 200, 'client 1, request 1')
  t.equal((await hit('198.51.100.1')).statusCode, 200, 'client 1, request 2')
  t.equal((await hit('198.51.100.1')).statusCode, 429, 'client 1 is limited')
  t.equal((await hit('198.51.100.2')).statusCode, 200, 'client 2 behind the same proxy is not')
  t.equal((await hit('6.6.6.6, 198.51.100.1')).statusCode, 429, 'a spoofed left-most entry does not help: the right-most untrusted one counts')
  t.equal((await hit('198.51.100.3', '192.0.2.1')).statusCode, 200, 'an untrusted sender counts as itself')
  t.equal((await hit('198.51.100.4', '192.0.2.1')).statusCode, 200, 'whatever it claims')
  t.equal((await hit('198.51.100.5', '192.0.2.1')).statusCode, 429, 'and is limited as itself')
})
