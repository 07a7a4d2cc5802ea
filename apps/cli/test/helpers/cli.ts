/**
 * Running `flashback` in tests: in-process through `runCli` with captured streams (fast; a fake terminal when
 * asked), or as a real process from the sources (`node --import tsx src/main.ts`) for signals and exit codes.
 * Plus a TCP relay in front of a peer server that cuts or stalls a transfer at a chosen byte: interrupted
 * downloads without timing games.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { PassThrough } from 'node:stream'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import type { Test } from 'tap'
import { createPeerRuntime, startPeerServer, type PeerRuntime } from '@flashback/peer'
import { runCli } from '../../src/run-cli.js'
import { writeShare, type TestPeer } from './peers.js'

export const CLI_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const MAIN_TS = join(CLI_DIR, 'src', 'main.ts')

export interface CliResult {
  code: number
  out: string
  err: string
}

/** `flashback …argv` in this process. `tty` makes stdout and stderr look like a terminal. */
export async function cli(argv: string[], options: { tty?: boolean; stopSignal?: Promise<string>; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const stdout = Object.assign(new PassThrough(), options.tty ? { isTTY: true, columns: 120 } : {})
  const stderr = Object.assign(new PassThrough(), options.tty ? { isTTY: true, columns: 120 } : {})
  let out = ''
  let err = ''
  stdout.on('data', (c: Buffer) => (out += c.toString()))
  stderr.on('data', (c: Buffer) => (err += c.toString()))
  const code = await runCli(argv, {
    stdout,
    stderr,
    env: options.env ?? {},
    stopSignal: options.stopSignal ?? new Promise<string>(() => {}),
  })
  return { code, out, err }
}

export interface SpawnedCli {
  child: ChildProcess
  /** Parsed JSON log lines so far. */
  lines: Record<string, unknown>[]
  stderr: () => string
  /** The first log line (past or future) with this `msg`. */
  line(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>
}

/**
 * Bundles the CLI from the current sources into `dir` (esbuild, about a second) and returns the entry to spawn:
 * much faster to start than the sources through tsx on a busy machine, and the same code users run. `dir` must be
 * inside the repository so the bundle's third-party imports resolve from node_modules.
 */
export async function buildCliBundle(dir: string): Promise<string> {
  const script = new URL('../../../../scripts/build-node.mjs', import.meta.url).href
  const { buildNode } = (await import(script)) as { buildNode: (o: { entryPoints: Record<string, string>; outdir: string }) => Promise<void> }
  await buildNode({ entryPoints: { flashback: MAIN_TS }, outdir: dir })
  return join(dir, 'flashback.js')
}

/**
 * `flashback …argv` as a real process, killed at the end of the test if still running: the bundle `bin` (see
 * buildCliBundle), or the sources through tsx without one.
 */
export function spawnCli(t: Test, argv: string[], env: NodeJS.ProcessEnv = {}, bin?: string): SpawnedCli {
  const entry = bin ? [bin] : ['--import', 'tsx', MAIN_TS]
  const child = spawn(process.execPath, [...entry, ...argv], {
    cwd: CLI_DIR,
    env: { ...process.env, ...env, FLASHBACK_PROFILE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: Record<string, unknown>[] = []
  const waiters: { msg: string; resolve: (l: Record<string, unknown>) => void }[] = []
  let stderr = ''
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()))
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    let entry: Record<string, unknown>
    try {
      entry = JSON.parse(text) as Record<string, unknown>
    } catch {
      return
    }
    lines.push(entry)
    for (const w of waiters.filter((w) => w.msg === entry.msg)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve(entry)
    }
  })
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    line(msg, timeoutMs = 60_000) {
      const seen = lines.find((l) => l.msg === msg)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${msg}" line within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs)
        void exited.then((code) => {
          clearTimeout(timer)
          reject(new Error(`exited (${code}) before a "${msg}" line; stderr: ${stderr}`))
        })
        waiters.push({
          msg,
          resolve: (l) => {
            clearTimeout(timer)
            resolve(l)
          },
        })
      })
    },
  }
}

export interface Relay {
  port: number
  /**
   * The next connection that carries more than `afterBytes` towards the client is cut there or stalled (once).
   * Resolves when it happened.
   */
  arm(trip: { afterBytes: number; mode: 'cut' | 'stall' }): Promise<void>
  close(): Promise<void>
}

/**
 * A TCP relay to 127.0.0.1:`target`. TLS goes through untouched (the certificate is the peer's own), so the peer
 * can announce the relay's port. When armed, the first connection that carries more than `afterBytes` towards the
 * client is cut there (both sockets destroyed) or stalled (bytes held back until the relay closes).
 */
export async function startRelay(target: number): Promise<Relay> {
  const sockets = new Set<Socket>()
  let trip: { afterBytes: number; mode: 'cut' | 'stall'; tripped: () => void } | undefined
  const relay: Relay = {
    port: 0,
    arm: (next) => new Promise<void>((resolve) => (trip = { ...next, tripped: resolve })),
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1')
    sockets.add(client).add(upstream)
    const forget = () => {
      sockets.delete(client)
      sockets.delete(upstream)
      client.destroy()
      upstream.destroy()
    }
    client.on('error', forget).on('close', forget)
    upstream.on('error', forget).on('close', forget)
    client.on('data', (chunk: Buffer) => upstream.write(chunk))
    let sent = 0
    upstream.on('data', (chunk: Buffer) => {
      const armed = trip
      if (armed && sent + chunk.length > armed.afterBytes) {
        trip = undefined
        const head = chunk.subarray(0, Math.max(0, armed.afterBytes - sent))
        sent += head.length
        if (armed.mode === 'cut') {
          client.end(head, () => forget())
        } else {
          client.write(head)
          upstream.pause()
        }
        armed.tripped()
        return
      }
      sent += chunk.length
      client.write(chunk)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  relay.port = (server.address() as { port: number }).port
  return relay
}

/**
 * A configured, started peer whose server is reached through a relay (the tracker learns the relay's port):
 * `relay.arm(…)` interrupts its next large transfer.
 */
export async function startRelayedPeer(
  t: Test,
  base: string,
  tracker: { url: string; fingerprint: string },
  email: string,
  files: Record<string, string | Uint8Array>,
): Promise<TestPeer & { relay: Relay }> {
  const name = email.split('@')[0] as string
  const profileDir = join(base, `${name}-profile`)
  const shareDir = await writeShare(join(base, `${name}-share`), files)
  let relay: Relay | undefined
  const runtime: PeerRuntime = await createPeerRuntime({
    profileDir,
    startServer: async (options) => {
      const server = await startPeerServer(options)
      relay = await startRelay(server.port)
      const r = relay
      return {
        port: r.port,
        addresses: ['127.0.0.1'],
        close: async () => {
          await r.close()
          await server.close()
        },
      }
    },
  })
  await runtime.updateSettings({ email, shareRoot: shareDir, trackerUrl: tracker.url, trackerFingerprint: tracker.fingerprint, access: 'open' })
  await runtime.start({ requireTracker: true })
  t.teardown(() => runtime.stop())
  if (!relay) throw new Error('the relay did not start')
  return { runtime, profileDir, shareDir, downloadDir: base, relay }
}

/** A profile for a CLI user (bob) pointed at the tracker; written by the runtime, as `flashback peer` would. */
export async function makeProfile(base: string, tracker: { url: string; fingerprint: string }, email: string, extra: { shareRoot?: string } = {}): Promise<string> {
  const profileDir = join(base, `${email.split('@')[0]}-cli-profile`)
  const runtime = await createPeerRuntime({ profileDir })
  await runtime.updateSettings({ email, trackerUrl: tracker.url, trackerFingerprint: tracker.fingerprint, ...extra })
  await runtime.stop()
  return profileDir
}
