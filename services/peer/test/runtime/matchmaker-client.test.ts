/**
 * The matchmaker client against the real tracker's UDP matchmaker on loopback: registration and the
 * observed address, a connect that reaches both sides, recovery from a bad token, a tracker without
 * a matchmaker, and datagrams from strangers ignored.
 */
import t from 'tap'
import { createSocket } from 'node:dgram'
import type { MatchmakerTokenReply, ObservedAddress } from '@flashback/protocol'
import { RegistryClient } from '../../src/publish/registry-client.js'
import { startMatchmakerClient, type MatchmakerClient } from '../../src/runtime/matchmaker-client.js'
import { RuntimeError } from '../../src/runtime/errors.js'
import { makeIdentity, makePeer, startTestTracker, trackerClientFor, type TapTest } from './helper.js'
import type { RunningTracker } from '@flashback/tracker'

async function registeredClient(t: TapTest, tracker: RunningTracker, email: string): Promise<RegistryClient> {
  const id = await makeIdentity(email)
  await trackerClientFor(t, tracker, id).register()
  const registry = new RegistryClient({ url: tracker.url, identity: id, verify: { kind: 'fingerprint', fingerprint: tracker.fingerprint } })
  t.teardown(() => registry.close())
  return registry
}

function firstObserved(): { promise: Promise<ObservedAddress>; onObserved: (o: ObservedAddress) => void } {
  let resolve!: (o: ObservedAddress) => void
  const promise = new Promise<ObservedAddress>((r) => (resolve = r))
  return { promise, onObserved: (o) => resolve(o) }
}

async function client(t: TapTest, options: Parameters<typeof startMatchmakerClient>[0]): Promise<MatchmakerClient> {
  const mm = await startMatchmakerClient(options)
  t.teardown(() => mm.stop())
  return mm
}

t.test('register, observe, connect', async (t) => {
  const tracker = await startTestTracker(t, { matchmakerBind: { port: 0 } })
  const alice = await registeredClient(t, tracker, 'alice@example.com')
  const bob = await registeredClient(t, tracker, 'bob@example.com')
  const aliceSeen = firstObserved()
  const peersOfAlice: { email: string; observed: ObservedAddress }[] = []
  let tokens = 0
  const a = await client(t, {
    host: '127.0.0.1',
    getToken: (signal) => {
      tokens++
      return alice.matchmakerToken(signal)
    },
    onObserved: aliceSeen.onObserved,
    onPeer: (peer) => peersOfAlice.push(peer),
  })
  const observed = await aliceSeen.promise
  t.equal(observed.ip, '127.0.0.1', 'the observed IP is the one the matchmaker saw')
  t.ok(observed.port > 0, 'with the UDP port of our NAT mapping (here: our socket)')
  t.same(a.observed(), observed, 'observed() gives it too')
  t.equal(tokens, 1, 'one token was fetched over TLS (the matchmaker port came with it)')

  const bobSeen = firstObserved()
  const b = await client(t, { host: 'localhost', getToken: (signal) => bob.matchmakerToken(signal), onObserved: bobSeen.onObserved })
  await bobSeen.promise
  const introduced = await b.connect('Alice@Example.com')
  t.same(introduced, { email: 'alice@example.com', observed }, 'bob learns where alice is')
  await until(() => peersOfAlice.length > 0)
  t.same(peersOfAlice[0], { email: 'bob@example.com', observed: b.observed() }, 'and alice is told about bob at the same moment')

  const nobody = await b.connect('nobody@example.com').catch((err: unknown) => err)
  t.ok(nobody instanceof RuntimeError && nobody.code === 'not_registered', 'someone not registered: a not_registered error')
})

t.test('a bad token is replaced at once', async (t) => {
  const tracker = await startTestTracker(t, { matchmakerBind: { port: 0 } })
  const alice = await registeredClient(t, tracker, 'alice@example.com')
  const seen = firstObserved()
  let calls = 0
  await client(t, {
    host: '127.0.0.1',
    getToken: async (signal): Promise<MatchmakerTokenReply> => {
      calls++
      const real = await alice.matchmakerToken(signal)
      // The first token is forged (another MAC): the matchmaker answers invalid_token.
      return calls === 1 ? { ...real, token: `${real.token.split('.')[0]}.${'A'.repeat(43)}` } : real
    },
    onObserved: seen.onObserved,
  })
  t.equal((await seen.promise).ip, '127.0.0.1', 'registered in the end')
  t.equal(calls, 2, 'after exactly one more token')
})

t.test('a tracker without a matchmaker: the client gives up quietly', async (t) => {
  const tracker = await startTestTracker(t)
  const alice = await registeredClient(t, tracker, 'alice@example.com')
  const lines: string[] = []
  const log = (obj: object | string, msg?: string) => void lines.push(typeof obj === 'string' ? obj : (msg ?? ''))
  const mm = await client(t, { host: '127.0.0.1', getToken: (signal) => alice.matchmakerToken(signal), logger: { debug: log, info: log, warn: log, error: log } })
  await until(() => lines.some((l) => /runs no matchmaker/.test(l)))
  t.pass('it logs that the tracker runs no matchmaker')
  t.equal(mm.observed(), undefined, 'and has no observed address')
})

t.test('datagrams from anyone but the matchmaker are ignored', async (t) => {
  const tracker = await startTestTracker(t, { matchmakerBind: { port: 0 } })
  const alice = await registeredClient(t, tracker, 'alice@example.com')
  const changes: ObservedAddress[] = []
  const seen = firstObserved()
  const mm = await client(t, {
    host: '127.0.0.1',
    getToken: (signal) => alice.matchmakerToken(signal),
    onObserved: (o) => {
      changes.push(o)
      seen.onObserved(o)
    },
    keepaliveMs: 50,
  })
  const real = await seen.promise
  // A stranger sends a forged "registered" to the client's port: it must not move the observed address.
  const stranger = createSocket('udp4')
  t.teardown(() => new Promise<void>((r) => stranger.close(() => r())))
  await new Promise<void>((r) => stranger.bind(0, '127.0.0.1', () => r()))
  for (let i = 0; i < 5; i++) {
    stranger.send(JSON.stringify({ type: 'registered', observed: { ip: '203.0.113.66', port: 1 } }), real.port, '127.0.0.1')
  }
  // Several keep-alives later (each answered by the real matchmaker):
  const before = tracker.matchmaker?.stats().registers ?? 0
  await until(() => (tracker.matchmaker?.stats().registers ?? 0) >= before + 3)
  t.same(mm.observed(), real, 'the observed address is still the matchmaker\'s word')
  t.same(changes, [real], 'onObserved fired once, for the real address')
})

t.test('a running peer announces the observed address as its last candidate', async (t) => {
  const tracker = await startTestTracker(t, { matchmakerBind: { port: 0 } })
  const { runtime } = await makePeer(t, tracker, 'alice@example.com')
  await runtime.start({ requireTracker: true })
  const identity = await runtime.identity()
  const registry = new RegistryClient({ url: tracker.url, identity, verify: { kind: 'fingerprint', fingerprint: tracker.fingerprint } })
  t.teardown(() => registry.close())
  // What `flashback peer` wires up: every observed address goes into the broadcast, after the server's own.
  const seen = firstObserved()
  await client(t, {
    host: '127.0.0.1',
    getToken: (signal) => registry.matchmakerToken(signal),
    onObserved: (o) => {
      runtime.setExtraAddresses([o.ip])
      seen.onObserved(o)
    },
  })
  t.equal((await seen.promise).ip, '127.0.0.1', 'the matchmaker observed loopback')
  const own = (await runtime.lookupPeer('alice@example.com'))?.addresses ?? []
  t.same(own, ['127.0.0.1'], 'an observed address the server already announces is not repeated')
  // A public address, as it would be behind a NAT:
  runtime.setExtraAddresses(['203.0.113.80'])
  let addresses: string[] = []
  await untilAsync(async () => {
    addresses = (await runtime.lookupPeer('alice@example.com'))?.addresses ?? []
    return addresses.includes('203.0.113.80')
  })
  t.same(addresses, ['127.0.0.1', '203.0.113.80'], 'a new observed address is broadcast at once, as the last candidate')
})

async function untilAsync(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}
