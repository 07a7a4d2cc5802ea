import t from 'tap'
import { createServer as createNetServer, type Socket } from 'node:net'
import { type Identity } from '@flashback/identity'
import {
  FingerprintChangedError,
  PeerClient,
  PeerConnector,
  PeerOfflineError,
  PeerUnreachableError,
  Profile,
  type TrackerClient,
  type PeerConnectorOptions,
} from '../../src/runtime/index.js'
import { makeIdentity, startHttpsServer, startTestTracker, trackerClientFor, type TapTest } from './helper.js'

const tracker = await startTestTracker(t)
const visitor = await makeIdentity('visitor@example.com')

/** Is anything listening on host:port? (Bind it ourselves: success means it is free.) */
async function isFree(host: string, port: number): Promise<boolean> {
  const probe = createNetServer()
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false))
    probe.listen(port, host, () => probe.close(() => resolve(true)))
  })
}

async function visitorSide(t: TapTest, profileDir: string, options: Partial<PeerConnectorOptions> = {}) {
  const profile = await Profile.open(profileDir)
  const client = trackerClientFor(t, tracker, visitor)
  const lookups = { count: 0 }
  const lookup = client.lookup.bind(client)
  client.lookup = (...args: Parameters<TrackerClient['lookup']>) => {
    lookups.count++
    return lookup(...args)
  }
  const connector = new PeerConnector({ client: visitor, tracker: client, cache: profile, staggerMs: 5000, connectTimeoutMs: 5000, ...options })
  t.teardown(() => connector.close())
  return { profile, connector, lookups, peers: new PeerClient(connector) }
}

async function announce(t: TapTest, identity: Identity, port: number, addresses: string[]): Promise<TrackerClient> {
  const client = trackerClientFor(t, tracker, identity)
  await client.register()
  await client.ready({ port, addresses })
  return client
}

t.test('addresses are tried nearest first; a closed port and an impostor are skipped; the genuine peer wins and is cached', async (t) => {
  const bob = await makeIdentity('bob@example.com')
  const genuine = await startHttpsServer(t, bob, '127.0.0.3')
  const port = genuine.port
  const impostor = await startHttpsServer(t, await makeIdentity('bob@example.com'), '127.0.0.2', port)
  t.ok(await isFree('127.0.0.1', port), '127.0.0.1 has nothing on that port (a closed port)')
  // Published in this order: the public address first; the connector must still try loopback first.
  await announce(t, bob, port, ['203.0.113.5', '127.0.0.1', '127.0.0.2', '127.0.0.3'])

  const dir = t.testdir()
  const side = await visitorSide(t, dir)
  const connection = await side.connector.connect('bob@example.com')
  t.equal(connection.address, '127.0.0.3', 'the genuine server won')
  t.equal(connection.fingerprint, bob.fingerprint, 'pinned to the fingerprint the tracker published')
  t.ok(impostor.connections >= 1, 'the impostor address was tried (before the genuine one, as ordered)')
  t.same(impostor.requests, [], 'the impostor never received a request: its connection was never used')
  const health = await side.peers.health('bob@example.com')
  t.equal(health.address, '127.0.0.3', 'the health check went to the genuine server')
  t.ok(genuine.requests.includes('/health'), 'the genuine server answered it')
  t.match(side.profile.cachedAddress('bob@example.com'), { address: '127.0.0.3', port, fingerprint: bob.fingerprint }, 'the winning address is cached')
  t.match((await Profile.open(dir)).cachedAddress('bob@example.com'), { address: '127.0.0.3' }, 'and persisted in the profile')

  // Next time (a new process): the cached address is tried first, without a tracker lookup or a race.
  const impostorConnections = impostor.connections
  const next = await visitorSide(t, dir)
  const again = await next.connector.connect('bob@example.com')
  t.equal(again.address, '127.0.0.3', 'reached at the cached address')
  t.equal(next.lookups.count, 0, 'without asking the tracker')
  t.equal(impostor.connections, impostorConnections, 'and without touching the other addresses')
})

t.test('a hanging first address does not delay the visit beyond the stagger: the next one starts and wins', async (t) => {
  const amy = await makeIdentity('amy@example.com')
  const genuine = await startHttpsServer(t, amy, '127.0.0.7')
  const sockets = new Set<Socket>()
  const silent = createNetServer((socket) => sockets.add(socket))
  await new Promise<void>((resolve) => silent.listen(genuine.port, '127.0.0.6', resolve))
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    silent.close()
  })
  await announce(t, amy, genuine.port, ['127.0.0.6', '127.0.0.7'])
  // The connect timeout is far longer than the test: only the stagger can let the second address start.
  const side = await visitorSide(t, t.testdir(), { staggerMs: 100, connectTimeoutMs: 120_000 })
  const connection = await side.connector.connect('amy@example.com')
  t.equal(connection.address, '127.0.0.7', 'the second address won while the first still hung')
  t.ok(sockets.size >= 1, 'the first address was tried first')
})

t.test('when the cached address fails, the tracker is asked again and the new address cached', async (t) => {
  const cid = await makeIdentity('cid@example.com')
  const first = await startHttpsServer(t, cid, '127.0.0.4')
  const announcer = await announce(t, cid, first.port, ['127.0.0.4'])
  const dir = t.testdir()
  const side = await visitorSide(t, dir)
  await side.peers.health('cid@example.com')
  t.match(side.profile.cachedAddress('cid@example.com'), { address: '127.0.0.4' }, 'the first address is cached')

  // cid moves: the old server is gone, a new one runs elsewhere and is announced.
  await first.close()
  const second = await startHttpsServer(t, cid, '127.0.0.5')
  await announcer.ready({ port: second.port, addresses: ['127.0.0.5'] })

  const fresh = await visitorSide(t, dir)
  const health = await fresh.peers.health('cid@example.com')
  t.equal(health.address, '127.0.0.5', 'a new process reaches cid at the new address')
  t.equal(fresh.lookups.count, 1, 'after the cached address failed, the tracker was asked')
  t.match(fresh.profile.cachedAddress('cid@example.com'), { address: '127.0.0.5', port: second.port }, 'the cache now holds the new address')

  // The first process still holds a pool to the dead address: the next request finds the peer again.
  const lookupsBefore = side.lookups.count
  await second.close()
  const third = await startHttpsServer(t, cid, '127.0.0.8')
  await announcer.ready({ port: third.port, addresses: ['127.0.0.8'] })
  const healed = await side.peers.health('cid@example.com')
  t.equal(healed.address, '127.0.0.8', 'a request on a dead connection is retried on a fresh lookup')
  t.equal(side.lookups.count, lookupsBefore + 1, 'with exactly one new tracker lookup')
})

t.test('a peer whose every address is an impostor or closed is unreachable, with the impostor named', async (t) => {
  const dee = await makeIdentity('dee@example.com')
  const impostor = await startHttpsServer(t, await makeIdentity('dee@example.com'), '127.0.0.9')
  await announce(t, dee, impostor.port, ['127.0.0.9', '127.0.0.10'])
  const side = await visitorSide(t, t.testdir())
  const err = await side.connector.connect('dee@example.com').catch((e: unknown) => e)
  t.ok(err instanceof PeerUnreachableError, 'PeerUnreachableError')
  t.ok((err as PeerUnreachableError).sawImpostor, 'it knows an impostor answered')
  t.equal((err as PeerUnreachableError).attempts.length, 2, 'both addresses were tried')
  t.match((err as Error).message, /127\.0\.0\.9.*presented certificate/, 'the message names the impostor address')
  t.same(impostor.requests, [], 'the impostor got no request')
  t.equal(side.profile.cachedAddress('dee@example.com'), undefined, 'nothing was cached')
})

t.test('a peer that is not online is PeerOfflineError; a friend whose published certificate changed is refused', async (t) => {
  const side = await visitorSide(t, t.testdir())
  await t.rejects(side.connector.connect('nobody@example.com'), PeerOfflineError, 'offline')

  const eve = await makeIdentity('eve@example.com')
  const server = await startHttpsServer(t, eve, '127.0.0.11')
  await announce(t, eve, server.port, ['127.0.0.11'])
  const wary = await visitorSide(t, t.testdir(), { expectedFingerprint: (email) => (email === 'eve@example.com' ? 'ab'.repeat(32) : undefined) })
  const err = await wary.connector.connect('eve@example.com').catch((e: unknown) => e)
  t.ok(err instanceof FingerprintChangedError, 'the saved fingerprint wins over the tracker’s new one')
  t.equal(server.connections, 0, 'no connection was even attempted')
})
