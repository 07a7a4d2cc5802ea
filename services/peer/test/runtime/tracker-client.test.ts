import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createServer } from 'node:https'
import { type AddressInfo } from 'node:net'
import {
  TrackerClient,
  TrackerHttpError,
  TrackerUnreachableError,
  isTransientTrackerError,
  trackerVerification,
} from '../../src/runtime/index.js'
import { closedPort, makeIdentity, startTestTracker, trackerClientFor } from './helper.js'

const tracker = await startTestTracker(t)

t.test('register is idempotent; another certificate for the same e-mail is email_taken (409)', async (t) => {
  const alice = await makeIdentity('alice@example.com')
  const client = trackerClientFor(t, tracker, alice)
  const first = await client.register()
  t.equal(first.fingerprint, alice.fingerprint, 'the tracker registered our certificate')
  t.equal(first.email, 'alice@example.com', 'for our e-mail')
  const again = await client.register()
  t.equal(again.client_id, first.client_id, 'registering again is fine and changes nothing')

  const thief = await makeIdentity('alice@example.com')
  const err = await trackerClientFor(t, tracker, thief).register().catch((e: unknown) => e)
  t.ok(err instanceof TrackerHttpError, 'a TrackerHttpError')
  t.equal((err as TrackerHttpError).status, 409, 'status 409')
  t.equal((err as TrackerHttpError).code, 'email_taken', 'code email_taken')
  t.notOk(isTransientTrackerError(err), 'not something to retry')
})

t.test('ready, lookup, identity, heartbeat and offline', async (t) => {
  const bob = await makeIdentity('bob@example.com')
  const carol = await makeIdentity('carol@example.com')
  const b = trackerClientFor(t, tracker, bob)
  const c = trackerClientFor(t, tracker, carol)
  await b.register()
  await c.register()
  const ready = await b.ready({ port: 4321, addresses: ['127.0.0.1', '192.168.1.9'], capabilities: { version: '0.1.0', access: 'open' } })
  t.ok(ready.expires_in > 0, 'the broadcast has a lifetime')
  const seen = await c.lookup('bob@example.com')
  t.match(seen, { email: 'bob@example.com', port: 4321, addresses: ['127.0.0.1', '192.168.1.9'], fingerprint: bob.fingerprint, capabilities: { access: 'open' } }, 'carol finds bob where he said he is')
  t.equal(await c.lookup('nobody@example.com'), undefined, 'someone not online is undefined, not an error')
  t.match(await c.identity('bob@example.com'), { fingerprint: bob.fingerprint }, 'the identity lookup names bob’s certificate')
  t.equal(await c.identity('stranger@example.com'), undefined, 'an unregistered e-mail has no identity')
  const beat = await b.heartbeat()
  t.ok(beat.expires_in > 0, 'a heartbeat extends the broadcast')
  await b.offline()
  t.equal(await c.lookup('bob@example.com'), undefined, 'after offline bob is gone at once')
  const err = await b.heartbeat().catch((e: unknown) => e)
  t.equal((err as TrackerHttpError).status, 404, 'a heartbeat without a broadcast is 404')
  t.equal((err as TrackerHttpError).code, 'not_online', 'not_online')
  const status = await c.status()
  t.equal(status.status, 'ok', 'the public status answers')
})

t.test('list follows Link rel="next" across pages', async (t) => {
  const emails = ['p1', 'p2', 'p3', 'p4', 'p5'].map((n) => `${n}@list.example.com`)
  for (const email of emails) {
    const id = await makeIdentity(email)
    const client = trackerClientFor(t, tracker, id)
    await client.register()
    await client.ready({ port: 1000, addresses: ['127.0.0.1'] })
  }
  const viewer = trackerClientFor(t, tracker, await makeIdentity('viewer@list.example.com'))
  await viewer.register()
  const pages: number[] = []
  for await (const page of viewer.listPages({ pageSize: 2 })) pages.push(page.length)
  t.ok(pages.length >= 3, `several pages were fetched (${pages.join('+')})`)
  t.ok(pages.every((n) => n <= 2), 'each page respects the page size')
  const all = await viewer.list({ pageSize: 2 })
  for (const email of emails) t.ok(all.some((p) => p.email === email), `${email} is in the full list`)
  t.equal(new Set(all.map((p) => p.email)).size, all.length, 'no peer is listed twice')
})

t.test('a client that is not registered registers by itself when the tracker says not_registered', async (t) => {
  const dave = trackerClientFor(t, tracker, await makeIdentity('dave@example.com'))
  t.equal(await dave.lookup('nobody@example.com'), undefined, 'the lookup succeeds after an automatic registration')
  const strict = new TrackerClient({ url: tracker.url, identity: { ...(await makeIdentity('erin@example.com')) }, verify: { kind: 'fingerprint', fingerprint: tracker.fingerprint }, autoRegister: false })
  t.teardown(() => strict.close())
  const err = await strict.lookup('dave@example.com').catch((e: unknown) => e)
  t.match(err, { status: 403, code: 'not_registered' }, 'without autoRegister the 403 comes through')
})

t.test('a tracker with another certificate than the pinned one is untrusted', async (t) => {
  const client = new TrackerClient({
    url: tracker.url,
    identity: await makeIdentity('frank@example.com'),
    verify: { kind: 'fingerprint', fingerprint: 'ab'.repeat(32) },
  })
  t.teardown(() => client.close())
  const err = await client.register().catch((e: unknown) => e)
  t.ok(err instanceof TrackerUnreachableError, 'no answer is trusted')
  t.equal((err as TrackerUnreachableError).code, 'tracker_untrusted', 'the code says the certificate is wrong')
  t.match((err as Error).message, /not the one pinned/, 'and the message says so')
})

t.test('a tracker that is not there is unreachable (and worth retrying)', async (t) => {
  const port = await closedPort()
  const client = new TrackerClient({ url: `https://127.0.0.1:${port}`, identity: await makeIdentity('gina@example.com'), verify: { kind: 'fingerprint', fingerprint: tracker.fingerprint } })
  t.teardown(() => client.close())
  const err = await client.register().catch((e: unknown) => e)
  t.ok(err instanceof TrackerUnreachableError, 'a TrackerUnreachableError')
  t.equal((err as TrackerUnreachableError).code, 'tracker_unreachable', 'code tracker_unreachable')
  t.match((err as Error).message, /ECONNREFUSED/, 'the cause is in the message')
  t.ok(isTransientTrackerError(err), 'worth retrying')
})

t.test('a CA file verifies the tracker by its chain; an unreadable one is a clear settings error', async (t) => {
  const dir = t.testdir()
  const caFile = join(dir, 'tracker-ca.pem')
  writeFileSync(caFile, tracker.certPem)
  const verify = await trackerVerification({ trackerCaFile: caFile })
  t.equal(verify.kind, 'ca', 'the CA file is used')
  const client = new TrackerClient({ url: tracker.url, identity: await makeIdentity('hank@example.com'), verify })
  t.teardown(() => client.close())
  t.match(await client.register(), { email: 'hank@example.com' }, 'the tracker was trusted through its CA file')
  await t.rejects(trackerVerification({ trackerCaFile: join(dir, 'missing.pem') }), { name: 'ProfileError', field: '/trackerCaFile' }, 'a missing CA file names the setting')
  writeFileSync(join(dir, 'empty.pem'), 'nothing here')
  await t.rejects(trackerVerification({ trackerCaFile: join(dir, 'empty.pem') }), { name: 'ProfileError', message: /no PEM certificate/ }, 'a file without a certificate is refused')
  t.same(await trackerVerification({}), { kind: 'system' }, 'neither setting: the system CAs')
})

t.test('429 with Retry-After and 5xx are transient; answers that break the protocol are refused', async (t) => {
  const identity = await makeIdentity('ivan@example.com')
  const fake = await makeIdentity('fake-tracker@example.com')
  let mode: 'rate' | 'broken' | 'huge' = 'rate'
  const server = createServer({ cert: fake.certPem, key: fake.keyPem }, (_req, res) => {
    if (mode === 'rate') {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' })
      res.end(JSON.stringify({ error: 'rate_limited', message: 'slow down' }))
    } else if (mode === 'broken') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ client_id: 1 }))
    } else {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('[')
      const chunk = Buffer.alloc(1024 * 1024, 0x20)
      let sent = 0
      const pump = () => {
        while (sent < 10 && res.write(chunk)) sent++
        if (sent < 10) res.once('drain', pump)
        else res.end(']')
      }
      pump()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const client = new TrackerClient({ url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, identity, verify: { kind: 'fingerprint', fingerprint: fake.fingerprint } })
  t.teardown(() => client.close())
  const limited = await client.register().catch((e: unknown) => e)
  t.match(limited, { status: 429, code: 'rate_limited', retryAfterMs: 7000 }, 'Retry-After is read')
  t.ok(isTransientTrackerError(limited), '429 is transient')
  mode = 'broken'
  await t.rejects(client.register(), { name: 'ProtocolError', message: /does not follow the protocol/ }, 'a reply with wrong fields is refused')
  mode = 'huge'
  await t.rejects(client.list(), { name: 'ProtocolError', message: /larger than/ }, 'an oversized answer is cut off, not buffered')
})
