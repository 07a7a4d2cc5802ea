/**
 * The `registered` policy end to end: identity lookups over mutual TLS against a fake tracker (for
 * the failure cases) and against the real tracker from @flashback/tracker (register, then visit).
 */
import t from 'tap'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { createServer, request as httpsRequest } from 'node:https'
import { type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { type TLSSocket } from 'node:tls'
import { startTracker } from '@flashback/tracker'
import { createTrackerIdentityLookup, type PeerIdentity } from '../../src/index.js'
import { makeIdentity, request, startServer, tempDir, type Tap } from './helper.js'

/** A stand-in tracker: answers /api/relay/identity from a map, remembers who asked. */
async function fakeTracker(t: Tap, answer: (email: string) => { status: number; body: unknown }) {
  const own = await makeIdentity('tracker@example.com')
  const askers: string[] = []
  const server = createServer({ cert: own.certPem, key: own.keyPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const cert = (req.socket as TLSSocket).getPeerCertificate()
    askers.push(cert.subject?.CN as string)
    const url = new URL(req.url ?? '/', 'https://x')
    const { status, body } = answer(url.searchParams.get('email') ?? '')
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(typeof body === 'string' ? body : JSON.stringify(body))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  server.closeIdleConnections()
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, fingerprint: own.fingerprint, askers }
}

t.test('lookups against a fake tracker', async (t) => {
  const owner = await makeIdentity('owner@example.com')
  const known = await makeIdentity('known@example.com')
  const tracker = await fakeTracker(t, (email) => {
    if (email === known.email) return { status: 200, body: { email, fingerprint: known.fingerprint, registered_at: new Date().toISOString() } }
    if (email === 'broken@example.com') return { status: 200, body: { email, fingerprint: 'not-hex' } }
    if (email === 'other@example.com') return { status: 200, body: { email: 'someone@example.com', fingerprint: known.fingerprint, registered_at: new Date().toISOString() } }
    if (email === 'down@example.com') return { status: 500, body: { error: 'internal_error', message: 'x' } }
    return { status: 404, body: { error: 'not_registered', message: 'no' } }
  })
  const client = createTrackerIdentityLookup({ trackerUrl: tracker.url, identity: owner, trackerFingerprint: tracker.fingerprint.toUpperCase() })
  t.teardown(() => client.close())
  t.equal(await client.lookup(known.email), known.fingerprint, 'a registered e-mail gives its fingerprint')
  t.equal(tracker.askers[0], owner.email, 'the lookup presented the peer’s own certificate')
  t.equal(await client.lookup('nobody@example.com'), undefined, '404 means not registered')
  await t.rejects(client.lookup('broken@example.com'), /invalid identity reply/, 'a reply outside the schema is refused')
  await t.rejects(client.lookup('other@example.com'), /another e-mail/, 'a reply about another e-mail is refused')
  await t.rejects(client.lookup('down@example.com'), /answered 500/, 'a tracker error throws (the server then answers 503)')

  const impostor = createTrackerIdentityLookup({ trackerUrl: tracker.url, identity: owner, trackerFingerprint: 'ab'.repeat(32) })
  t.teardown(() => impostor.close())
  await t.rejects(impostor.lookup(known.email), /not the pinned one/, 'a tracker with another certificate is never asked')
  t.throws(() => createTrackerIdentityLookup({ trackerUrl: 'http://127.0.0.1:1', identity: owner, trackerFingerprint: tracker.fingerprint }), /https/, 'plain http is refused')
  t.throws(() => createTrackerIdentityLookup({ trackerUrl: tracker.url, identity: owner, trackerFingerprint: 'xyz' }), /fingerprint/, 'a malformed pin is refused')
})

/** POST /api/relay/register over mTLS with the identity itself, as every client does first. */
function register(url: string, who: PeerIdentity): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ certificate: who.certPem, email: who.email })
    const req = httpsRequest(
      `${url}/api/relay/register`,
      { method: 'POST', cert: who.certPem, key: who.keyPem, rejectUnauthorized: false, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

t.test('the registered policy against the real tracker', async (t) => {
  const tracker = await startTracker({ logger: false, rateLimitPerMin: 0 })
  let trackerUp = true
  t.teardown(() => (trackerUp ? tracker.close() : undefined))
  const owner = await makeIdentity('owner@example.com')
  const bob = await makeIdentity('bob@example.com')
  const mallory = await makeIdentity('bob@example.com', { days: 12 })
  const carol = await makeIdentity('carol@example.com')
  const dave = await makeIdentity('dave@example.com')
  t.equal(await register(tracker.url, owner), 200, 'the share owner registers (the tracker only answers registered peers)')
  t.equal(await register(tracker.url, bob), 200, 'bob registers')
  t.equal(await register(tracker.url, dave), 200, 'dave registers')
  t.equal(await register(tracker.url, mallory), 409, 'mallory cannot register bob’s e-mail with her own key')

  const lookups: string[] = []
  const client = createTrackerIdentityLookup({ trackerUrl: tracker.url, identity: owner, trackerFingerprint: tracker.fingerprint })
  t.teardown(() => client.close())
  const root = await tempDir(t)
  await writeFile(join(root, 'shared.txt'), 'for registered visitors')
  const server = await startServer(t, {
    root,
    identity: owner,
    access: 'registered',
    lookupIdentity: (email) => {
      lookups.push(email)
      return client.lookup(email)
    },
  })

  const ok = await request(server.port, '/content/shared.txt', { client: bob })
  t.equal(ok.status, 200, 'bob, registered with this certificate, gets in')
  t.equal(ok.text, 'for registered visitors', 'and reads the file')
  const impostor = await request(server.port, '/content/shared.txt', { client: mallory })
  t.equal(impostor.status, 403, 'mallory, presenting bob’s e-mail with another key, is refused')
  const stranger = await request(server.port, '/content/shared.txt', { client: carol })
  t.equal(stranger.status, 403, 'carol, not registered, is refused')
  t.match((stranger.json() as { message: string }).message, /not registered/, 'and told why')
  const anonymous = await request(server.port, '/content/shared.txt')
  t.equal(anonymous.status, 403, 'a visitor without certificate is refused')
  t.same(lookups, ['bob@example.com', 'carol@example.com'], 'the tracker was asked once per e-mail: answers are cached')

  await tracker.close()
  trackerUp = false
  const cached = await request(server.port, '/content/shared.txt', { client: bob })
  t.equal(cached.status, 200, 'with the tracker gone, bob still gets in from the cache')
  const unknown = await request(server.port, '/content/shared.txt', { client: dave })
  t.equal(unknown.status, 503, 'dave, never looked up, hears 503 while the tracker is unreachable')
})
