/**
 * A real tracker (in-process, from @flashback/tracker) and real peer runtimes with share folders, on loopback, all
 * closed at the end of the test. Used by the web-mode tests and the browser tests.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Test } from 'tap'
import { startTracker, type RunningTracker } from '@flashback/tracker'
import { createPeerRuntime, type PeerRuntime, type PeerRuntimeOptions } from '@flashback/peer'

export async function startTestTracker(t: Test): Promise<RunningTracker> {
  const tracker = await startTracker({ logger: false, rateLimitPerMin: 0 })
  t.teardown(() => tracker.close())
  return tracker
}

/** Writes `files` (path → content) under `dir`. */
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

/** A configured (not started) runtime pointed at `tracker`, with fast timings; stopped at the end of the test. */
export async function makePeer(
  t: Test,
  base: string,
  tracker: { url: string; fingerprint: string },
  email: string,
  options: { files?: Record<string, string | Uint8Array>; timing?: PeerRuntimeOptions['timing'] } = {},
): Promise<TestPeer> {
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
    access: 'open',
    downloadDir,
  })
  t.teardown(() => runtime.stop())
  return { runtime, profileDir, shareDir, downloadDir }
}
