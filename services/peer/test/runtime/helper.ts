/**
 * Shared pieces of the runtime tests: the in-process tracker, test peers, bytes and waiting come from
 * src/testing.ts (`@flashback/peer/testing`, which the apps' tests use too); here are the runtime's own:
 * identities, tracker clients, the default share, and small HTTPS servers that play a genuine peer or an
 * impostor on a chosen loopback address. Everything listens on 127.x.x.x and is closed in t.teardown.
 */
import { createServer, type Server } from 'node:https'
import { createServer as createNetServer, type AddressInfo, type Socket as NetSocket } from 'node:net'
import { createSelfSignedCertificate, identityFromPem, type Identity } from '@flashback/identity'
import { type RunningTracker } from '@flashback/tracker'
import { TrackerClient } from '../../src/runtime/tracker-client.js'
import { makeTestPeer, writeShare, type TestPeer, type TestPeerOptions } from '../../src/testing.js'
import type { Test } from 'tap'

export { startTestTracker, patternBytes, waitFor, type TestPeer } from '../../src/testing.js'

export type TapTest = Test

/** A fresh identity (P-256) that is not saved anywhere. */
export async function makeIdentity(email: string): Promise<Identity> {
  const created = await createSelfSignedCertificate({ email })
  return identityFromPem(created.certPem, created.keyPem)
}

/** A tracker client for a throwaway identity (registers on demand). */
export function trackerClientFor(t: TapTest, tracker: RunningTracker, identity: Identity): TrackerClient {
  const client = new TrackerClient({
    url: tracker.url,
    identity: { certPem: identity.certPem, keyPem: identity.keyPem, email: identity.email },
    verify: { kind: 'fingerprint', fingerprint: tracker.fingerprint },
  })
  t.teardown(() => client.close())
  return client
}

const DEFAULT_SHARE = {
  'index.md': '# Home\n\nSee [the plan](notes/plan.md).\n',
  'notes/plan.md': '# Plan\n\n1. share\n2. browse\n',
}

/** A share folder with a little content: index.md, notes/plan.md, and `files`. */
export function makeShare(dir: string, files: Record<string, string | Buffer> = {}): Promise<string> {
  return writeShare(dir, { ...DEFAULT_SHARE, ...files })
}

/**
 * A runtime with its own profile and share folder (the default share plus `files`), pointed at
 * `tracker`, with fast timings (friends checked every 300 ms). Stopped at the end of the test.
 */
export function makePeer(t: TapTest, tracker: { url: string; fingerprint: string }, email: string, options: TestPeerOptions = {}): Promise<TestPeer> {
  return makeTestPeer(t, tracker, email, {
    ...options,
    files: { ...DEFAULT_SHARE, ...options.files },
    timing: { friendCheckIntervalMs: 300, ...options.timing },
  })
}

/** A TCP port that nothing listens on right now (listen on port 0, note it, close). */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface TestHttpsServer {
  server: Server
  host: string
  port: number
  /** TCP connections accepted. */
  connections: number
  /** TLS handshakes completed. */
  handshakes: number
  /** HTTP requests received (an impostor must see none). */
  requests: string[]
  /** The client certificates' fingerprints (upper-case, colons) the server saw. */
  clients: string[]
  close(): Promise<void>
}

/**
 * An HTTPS server with `identity`'s certificate on `host:port` that answers `/health` like a peer
 * (`{ status, email, fingerprint }`) and 200 "impostor content" to anything else.
 */
export async function startHttpsServer(t: TapTest, identity: Identity, host: string, port = 0): Promise<TestHttpsServer> {
  const state: TestHttpsServer = {
    server: createServer({ cert: identity.certPem, key: identity.keyPem, requestCert: true, rejectUnauthorized: false }),
    host,
    port: 0,
    connections: 0,
    handshakes: 0,
    requests: [],
    clients: [],
    close: async () => {},
  }
  const sockets = new Set<NetSocket>()
  state.server.on('connection', (socket: NetSocket) => {
    state.connections++
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  state.server.on('secureConnection', (socket) => {
    state.handshakes++
    const fp = socket.getPeerCertificate()?.fingerprint256
    if (fp) state.clients.push(fp)
  })
  state.server.on('request', (req, res) => {
    state.requests.push(req.url ?? '')
    if (req.url === '/health') {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ status: 'ok', email: identity.email, fingerprint: identity.fingerprint }))
      return
    }
    res.end('impostor content')
  })
  await new Promise<void>((resolve, reject) => {
    state.server.once('error', reject)
    state.server.listen(port, host, () => resolve())
  })
  state.port = (state.server.address() as AddressInfo).port
  let closed = false
  state.close = async () => {
    if (closed) return
    closed = true
    // Also the TLS connections that never sent a request (HTTP does not know them yet).
    for (const socket of sockets) socket.destroy()
    state.server.closeAllConnections()
    await new Promise<void>((resolve) => state.server.close(() => resolve()))
  }
  t.teardown(() => state.close())
  return state
}
