/**
 * Shared pieces of the runtime tests: an in-process tracker (the real one, from @flashback/tracker),
 * profiles with share folders, and small HTTPS servers that play a genuine peer or an impostor on a
 * chosen loopback address. Everything listens on 127.x.x.x and is closed in t.teardown.
 */
import { createServer, type Server } from 'node:https'
import { createServer as createNetServer, type AddressInfo, type Socket as NetSocket } from 'node:net'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSelfSignedCertificate, identityFromPem, type Identity } from '@flashback/identity'
import { startTracker, type RunningTracker, type StartTrackerOptions } from '@flashback/tracker'
import { createPeerRuntime, type PeerRuntime, type PeerRuntimeOptions } from '../../src/runtime/index.js'
import { TrackerClient } from '../../src/runtime/tracker-client.js'
import type { Test } from 'tap'

export type TapTest = Test

/** The real tracker, in-process, silent, without rate limits; closed at the end of the test. */
export async function startTestTracker(t: TapTest, options: StartTrackerOptions = {}): Promise<RunningTracker> {
  const tracker = await startTracker({ logger: false, rateLimitPerMin: 0, ...options })
  let closed = false
  const close = tracker.close.bind(tracker)
  tracker.close = async () => {
    if (closed) return
    closed = true
    await close()
  }
  t.teardown(() => tracker.close())
  return tracker
}

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

/** A share folder with a little content: index.md, notes/plan.md, a few binary files. */
export async function makeShare(dir: string, files: Record<string, string | Buffer> = {}): Promise<string> {
  await mkdir(join(dir, 'notes'), { recursive: true })
  const content: Record<string, string | Buffer> = {
    'index.md': '# Home\n\nSee [the plan](notes/plan.md).\n',
    'notes/plan.md': '# Plan\n\n1. share\n2. browse\n',
    ...files,
  }
  for (const [name, data] of Object.entries(content)) {
    await mkdir(join(dir, name, '..'), { recursive: true })
    await writeFile(join(dir, name), data)
  }
  return dir
}

/** Deterministic pseudo-random bytes (so a resumed download can be compared byte for byte). */
export function patternBytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

export interface TestPeer {
  runtime: PeerRuntime
  profileDir: string
  shareDir: string
}

/**
 * A runtime with its own profile and share folder, pointed at `tracker` and fast timings.
 * Stopped at the end of the test.
 */
export async function makePeer(
  t: TapTest,
  tracker: { url: string; fingerprint: string },
  email: string,
  options: { files?: Record<string, string | Buffer>; access?: 'open' | 'registered' | 'friends'; timing?: PeerRuntimeOptions['timing']; base?: string } = {},
): Promise<TestPeer> {
  // Not t.testdir(): a second peer in the same test would wipe the first one's folder.
  const base = options.base ?? (await mkdtemp(join(tmpdir(), 'flashback-peer-')))
  if (!options.base) t.teardown(() => rm(base, { recursive: true, force: true }))
  const name = email.split('@')[0] as string
  const profileDir = join(base, `${name}-profile`)
  const shareDir = await makeShare(join(base, `${name}-share`), options.files)
  const runtime = await createPeerRuntime({
    profileDir,
    timing: { backoffBaseMs: 50, backoffMaxMs: 400, friendCheckIntervalMs: 300, staggerMs: 100, offlineTimeoutMs: 2000, ...options.timing },
  })
  await runtime.updateSettings({
    email,
    shareRoot: shareDir,
    trackerUrl: tracker.url,
    trackerFingerprint: tracker.fingerprint,
    access: options.access ?? 'open',
  })
  t.teardown(() => runtime.stop())
  return { runtime, profileDir, shareDir }
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

/** Wait until `predicate` holds, polling; fails after `timeoutMs` (generous: the machine is shared). */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
