// The systems under test, started as their users start them: the tracker as `npm run tracker` does
// (its production bundle, configured by environment variables), the peer server through
// @flashback/peer's startPeerServer in a process of its own.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startProcess } from '../lib/processes.mjs'

export const REPO = fileURLToPath(new URL('../../../', import.meta.url))
const TRACKER_DIR = path.join(REPO, 'services/tracker')
const TRACKER_BUNDLE = path.join(TRACKER_DIR, 'dist/server.js')
const PEER_DIR = path.join(REPO, 'services/peer')

/** Is the tracker there to benchmark? { ok } or { ok: false, reason }. */
export function trackerAvailability() {
  const pkg = JSON.parse(readFileSync(path.join(TRACKER_DIR, 'package.json'), 'utf8'))
  if (!pkg.scripts?.build) return { ok: false, reason: 'services/tracker has no build script yet (issue 2)' }
  if (!existsSync(path.join(TRACKER_DIR, 'src/server.ts'))) return { ok: false, reason: 'services/tracker/src/server.ts does not exist yet (issue 2)' }
  return { ok: true }
}

/** Is the peer server there? */
export function peerAvailability() {
  const index = path.join(PEER_DIR, 'src/index.ts')
  if (!existsSync(index) || !/startPeerServer/.test(readFileSync(index, 'utf8'))) {
    return { ok: false, reason: '@flashback/peer does not export startPeerServer yet (issue 3)' }
  }
  return { ok: true }
}

/** The tracker as a library (openStore, sweepExpired…), bundled from the same sources as server.js. */
export const TRACKER_LIB = path.join(REPO, 'scripts/bench/dist/tracker-lib.js')

let building = null
/**
 * `npm run build -w @flashback/tracker` (the server bundle users run), and right after it the same
 * sources as a library bundle for seeding stores and timing the sweep: both from one snapshot of the
 * tree, so the bench never seeds a schema the server it starts does not know. Once per bench run.
 */
export function buildTracker(log) {
  building ??= build(log)
  return building
}

async function build(log) {
  const t0 = Date.now()
  execFileSync('npm', ['run', 'build', '--silent', '-w', '@flashback/tracker'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] })
  if (!existsSync(TRACKER_BUNDLE) || statSync(TRACKER_BUNDLE).mtimeMs < t0 - 1000) {
    throw new Error('npm run build -w @flashback/tracker did not write services/tracker/dist/server.js')
  }
  const { buildNode } = await import('../../build-node.mjs')
  await buildNode({ entryPoints: { 'tracker-lib': path.join(TRACKER_DIR, 'src/index.ts') }, outdir: path.dirname(TRACKER_LIB) })
  log?.(`built the tracker bundles in ${Date.now() - t0} ms`)
}

/**
 * Starts `node services/tracker/dist/server.js` on a free port with the bench's server certificate,
 * rate limiting off, and the given store. Resolves when it logs "tracker listening".
 */
export async function startTracker({ dataDir, cert, key, cpu, databaseUrl, env = {}, nodeArgs = [] }) {
  const proc = await startProcess({
    name: 'tracker',
    cmd: process.execPath,
    args: [...nodeArgs, TRACKER_BUNDLE],
    cwd: REPO,
    cpu,
    env: {
      RELAY_PORT: '0',
      RELAY_BIND_ADDRESS: '127.0.0.1',
      RELAY_DATA_DIR: dataDir,
      RELAY_TLS_CERT: cert,
      RELAY_TLS_KEY: key,
      RATE_LIMIT_PER_MIN: '0',
      LOG_LEVEL: 'info',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...env,
    },
    ready: (line) => {
      const rec = JSON.parse(line)
      return rec.msg === 'tracker listening' ? { port: rec.port, fingerprint: rec.fingerprint } : undefined
    },
  })
  return { name: 'flashback', port: proc.ready.port, pid: proc.pid, proc, stop: () => proc.stop() }
}

/** Starts the peer server sharing `root` (access 'open', loopback), with `identity` as its certificate. */
export async function startPeer({ root, certFile, keyFile, identity, cpu, nodeArgs = [] }) {
  const proc = await startProcess({
    name: 'peer',
    cmd: process.execPath,
    args: [...nodeArgs, '--import', 'tsx', fileURLToPath(new URL('./peer-server-launcher.mjs', import.meta.url))],
    cwd: REPO,
    cpu,
    env: { PEER_ROOT: root, PEER_CERT: certFile, PEER_KEY: keyFile, PEER_EMAIL: identity.email, PEER_FINGERPRINT: identity.fingerprint },
    ready: (line) => JSON.parse(line).port,
  })
  return { name: 'flashback', port: proc.ready, pid: proc.pid, proc, stop: () => proc.stop() }
}
