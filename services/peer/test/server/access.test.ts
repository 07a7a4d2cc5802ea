import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createPeerServer } from '../../src/index.js'
import { makeIdentity, request, startServer, tempDir, type Tap } from './helper.js'

async function share(t: Tap) {
  const root = await tempDir(t)
  await writeFile(join(root, 'hello.txt'), 'hello')
  return root
}

t.test('open on loopback: no client certificate needed', async (t) => {
  const root = await share(t)
  const server = await startServer(t, { root })
  t.equal(server.access, 'open', 'loopback defaults to open')
  const anonymous = await request(server.port, '/download/hello.txt')
  t.equal(anonymous.status, 200, 'a visitor without a certificate gets the file')
  const withCert = await request(server.port, '/download/hello.txt', { client: await makeIdentity('visitor@example.com') })
  t.equal(withCert.status, 200, 'a visitor with one too')
})

t.test('open with bindAll is refused at start; bindAll defaults to registered', async (t) => {
  const root = await share(t)
  const identity = await makeIdentity('owner@example.com')
  t.throws(() => createPeerServer({ root, identity, bindAll: true, access: 'open' }), /only allowed on loopback/, 'bindAll + open fails with a clear error')
  t.throws(() => createPeerServer({ root, identity, bindAll: true }), /registered.*lookupIdentity/, 'bindAll defaults to registered, which needs a tracker lookup')
  const server = createPeerServer({ root, identity, bindAll: true, lookupIdentity: async () => undefined })
  t.equal(server.access, 'registered', 'the default with bindAll is registered')
  t.throws(() => createPeerServer({ root, identity, access: 'friends' }), /friends list/, 'friends needs a friends list')
})

t.test('friends: only listed (e-mail, fingerprint) pairs get in', async (t) => {
  const root = await share(t)
  const friend = await makeIdentity('friend@example.com')
  const stranger = await makeIdentity('stranger@example.com')
  // Same e-mail as the friend, another key: an impostor.
  const impostor = await makeIdentity('friend@example.com', { days: 30 })
  const asked: [string, string][] = []
  const friends = new Map([[friend.email, friend.fingerprint]])
  const server = await startServer(t, {
    root,
    access: 'friends',
    friends: {
      isFriend: async (email, fingerprint) => {
        asked.push([email, fingerprint])
        return friends.get(email) === fingerprint
      },
    },
  })
  const ok = await request(server.port, '/download/hello.txt', { client: friend })
  t.equal(ok.status, 200, 'a friend gets the file')
  t.same(asked[0], [friend.email, friend.fingerprint], 'the friends list is asked with the certificate’s e-mail and SHA-256')
  for (const [who, client] of [['a stranger', stranger], ['an impostor with a friend’s e-mail', impostor], ['a visitor without certificate', undefined]] as const) {
    const res = await request(server.port, '/api/files', client ? { client } : {})
    t.equal(res.status, 403, `${who} is refused`)
    t.equal((res.json() as { error: string }).error, 'forbidden', `${who} gets forbidden`)
  }
  friends.delete(friend.email)
  const removed = await request(server.port, '/download/hello.txt', { client: friend })
  t.equal(removed.status, 403, 'removing a friend takes effect at once')
  const health = await request(server.port, '/health', { client: stranger })
  t.equal(health.status, 200, '/health answers everyone (it tells no more than the TLS certificate)')
})

t.test('registered: the certificate must be the one the tracker holds, answers are cached', async (t) => {
  const root = await share(t)
  const alice = await makeIdentity('alice@example.com')
  const bob = await makeIdentity('bob@example.com')
  const mallory = await makeIdentity('alice@example.com', { days: 7 })
  const registry = new Map([[alice.email, alice.fingerprint.toUpperCase()]])
  const lookups: string[] = []
  let trackerDown = false
  const server = await startServer(t, {
    root,
    access: 'registered',
    lookupIdentity: async (email) => {
      lookups.push(email)
      if (trackerDown) throw new Error('connect ECONNREFUSED')
      return registry.get(email)
    },
  })
  const ok = await request(server.port, '/download/hello.txt', { client: alice })
  t.equal(ok.status, 200, 'a registered visitor gets in (fingerprints compared in any case)')
  const again = await request(server.port, '/api/files', { client: alice })
  t.equal(again.status, 200, 'and again')
  t.same(lookups, ['alice@example.com'], 'the tracker was asked once: the answer is cached')
  const impostor = await request(server.port, '/download/hello.txt', { client: mallory })
  t.equal(impostor.status, 403, 'another certificate for a registered e-mail is refused')
  t.match((impostor.json() as { message: string }).message, /not the one registered/, 'and told why')
  t.same(lookups, ['alice@example.com'], 'the impostor was judged from the cached answer')
  const unregistered = await request(server.port, '/download/hello.txt', { client: bob })
  t.equal(unregistered.status, 403, 'an unregistered e-mail is refused')
  const none = await request(server.port, '/download/hello.txt')
  t.equal(none.status, 403, 'no certificate is refused')
  trackerDown = true
  const carol = await makeIdentity('carol@example.com')
  const down = await request(server.port, '/download/hello.txt', { client: carol })
  t.equal(down.status, 503, 'when the tracker cannot answer the visitor hears 503, not a false 403')
  t.equal(down.headers['retry-after'], '10', 'with Retry-After')
  const cached = await request(server.port, '/download/hello.txt', { client: alice })
  t.equal(cached.status, 200, 'a cached answer still works while the tracker is down')
})

t.test('concurrent visitors with one e-mail share one tracker question', async (t) => {
  const root = await share(t)
  const alice = await makeIdentity('alice@example.com')
  let lookups = 0
  const server = await startServer(t, {
    root,
    access: 'registered',
    lookupIdentity: async () => {
      lookups++
      await new Promise((r) => setTimeout(r, 50))
      return alice.fingerprint
    },
  })
  const replies = await Promise.all(Array.from({ length: 8 }, () => request(server.port, '/download/hello.txt', { client: alice })))
  t.ok(replies.every((r) => r.status === 200), 'all eight get in')
  t.equal(lookups, 1, 'with one lookup')
})

t.test('an expired client certificate is refused', async (t) => {
  const root = await share(t)
  const expired = await makeIdentity('old@example.com', { notBefore: new Date(Date.now() - 10 * 86_400_000), days: 2 })
  const server = await startServer(t, { root, access: 'friends', friends: { isFriend: () => true } })
  const res = await request(server.port, '/download/hello.txt', { client: expired })
  t.equal(res.status, 403, 'a friend’s expired certificate does not open the door')
})

t.test('a friends list that cannot be read gives 503, not a crash or a false yes', async (t) => {
  const root = await share(t)
  const server = await startServer(t, {
    root,
    access: 'friends',
    friends: {
      isFriend: () => {
        throw new Error('friends.json: unexpected end of JSON input')
      },
    },
  })
  const res = await request(server.port, '/download/hello.txt', { client: await makeIdentity('friend@example.com') })
  t.equal(res.status, 503, 'the visitor hears 503')
  t.equal((res.json() as { error: string }).error, 'unavailable', 'unavailable')
})

t.test('identity lookups in flight are bounded', async (t) => {
  const root = await share(t)
  const release: (() => void)[] = []
  let started = 0
  const server = await startServer(t, {
    root,
    access: 'registered',
    lookupIdentity: () => {
      started++
      return new Promise((resolve) => release.push(() => resolve(undefined)))
    },
  })
  const visitors = await Promise.all(Array.from({ length: 20 }, (_, i) => makeIdentity(`v${i}@example.com`)))
  let answered = 0
  const replies = Promise.all(
    visitors.map((client) =>
      request(server.port, '/api/files', { client }).then((r) => {
        answered++
        return r
      }),
    ),
  )
  // Hold the tracker's answers until every visitor over the bound has been answered.
  for (let i = 0; i < 800 && answered < 4; i++) await new Promise((r) => setTimeout(r, 25))
  release.forEach((go) => go())
  const statuses = (await replies).map((r) => r.status)
  t.equal(started, 16, 'at most 16 distinct e-mails were looked up at once')
  t.equal(statuses.filter((s) => s === 503).length, 4, 'the other 4 visitors heard 503')
  t.equal(statuses.filter((s) => s === 403).length, 16, 'the looked-up (unregistered) ones were refused')
})
