/**
 * `@flashback/peer/testing`: what tests of the peer and of the apps built on it need to run real peers
 * against a real tracker on loopback: the tracker in-process (from @flashback/tracker, a dev dependency:
 * only tests import this module, never the package's main entry), share folders, configured runtimes
 * with fast timings, deterministic bytes. Everything is closed or removed at the end of the test.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { startTracker, type RunningTracker, type StartTrackerOptions } from '@flashback/tracker'
import { createPeerRuntime, type PeerRuntime, type PeerRuntimeOptions } from './runtime/index.js'

/** What is needed of a test (tap's `t`): a way to clean up after it. */
export interface TestContext {
  teardown(fn: () => unknown): void
}

/** The real tracker, in-process, silent, without rate limits; closed at the end of the test (closing it earlier is fine). */
export async function startTestTracker(t: TestContext, options: StartTrackerOptions = {}): Promise<RunningTracker> {
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

/** Writes `files` (share-relative path → content) under `dir`, creating folders as needed. */
export async function writeShare(dir: string, files: Record<string, string | Uint8Array>): Promise<string> {
  await mkdir(dir, { recursive: true })
  for (const [name, data] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), data)
  }
  return dir
}

/** Deterministic pseudo-random bytes (xorshift), so downloads can be compared byte for byte. */
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
  downloadDir: string
}

export interface TestPeerOptions {
  /** The share's files, exactly (default: `hello.txt`). */
  files?: Record<string, string | Uint8Array>
  access?: 'open' | 'registered' | 'friends'
  /** Merged over fast retry timings. */
  timing?: PeerRuntimeOptions['timing']
  /** The folder for the profile, share and downloads (default: a temporary folder removed at the end). */
  base?: string
}

/**
 * A configured (not started) runtime pointed at `tracker`, with its own profile, share and downloads
 * folders (`<base>/<name>-profile`, `-share`, `-downloads`); stopped at the end of the test.
 */
export async function makeTestPeer(t: TestContext, tracker: { url: string; fingerprint: string }, email: string, options: TestPeerOptions = {}): Promise<TestPeer> {
  // Not tap's t.testdir(): a second peer in the same test would wipe the first one's folder.
  const base = options.base ?? (await mkdtemp(join(tmpdir(), 'flashback-peer-')))
  if (!options.base) t.teardown(() => rm(base, { recursive: true, force: true }))
  const name = email.split('@')[0] as string
  const profileDir = join(base, `${name}-profile`)
  const shareDir = await writeShare(join(base, `${name}-share`), options.files ?? { 'hello.txt': `hello from ${name}\n` })
  const downloadDir = join(base, `${name}-downloads`)
  await mkdir(downloadDir, { recursive: true })
  const runtime = await createPeerRuntime({
    profileDir,
    timing: { backoffBaseMs: 50, backoffMaxMs: 400, staggerMs: 100, offlineTimeoutMs: 2000, ...options.timing },
  })
  await runtime.updateSettings({
    email,
    shareRoot: shareDir,
    trackerUrl: tracker.url,
    trackerFingerprint: tracker.fingerprint,
    access: options.access ?? 'open',
    downloadDir,
  })
  t.teardown(() => runtime.stop())
  return { runtime, profileDir, shareDir, downloadDir }
}

/** Wait until `predicate` holds, polling; fails after `timeoutMs` (generous: test machines are shared). */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
