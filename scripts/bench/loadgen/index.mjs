// The orchestrator's handle on the load generator process: start it (pinned to its own core when we
// pin), run specs on it, and time CPU snapshots of the processes under test to the measured window.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { cpuSeconds } from '../lib/processes.mjs'
import { latencySummary } from '../lib/stats.mjs'

const childPath = fileURLToPath(new URL('./child.mjs', import.meta.url))

export class LoadGenerator {
  /** @param {{ cpu?: number|null, threads?: number }} opts */
  static async start({ cpu = null, threads = 1 } = {}) {
    const pinned = cpu !== null && cpu !== undefined
    const child = spawn(pinned ? 'taskset' : process.execPath, pinned ? ['-c', String(cpu), process.execPath, childPath] : [childPath], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    })
    const gen = new LoadGenerator(child, threads)
    await new Promise((resolve, reject) => {
      child.once('message', (m) => (m?.type === 'ready' ? resolve() : reject(new Error('unexpected first message'))))
      child.once('exit', (code) => reject(new Error(`the load generator exited (${code}) at start`)))
    })
    return gen
  }

  constructor(child, threads) {
    this.child = child
    this.pid = child.pid
    this.threads = threads
    this.nextId = 1
    this.pending = new Map()
    child.on('message', (m) => {
      const p = this.pending.get(m?.id)
      if (!p) return
      this.pending.delete(m.id)
      if (m.type === 'result') p.resolve(m.result)
      else p.reject(new Error(`load generator: ${m.message}`))
    })
    child.once('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`the load generator exited (${code})`))
      this.pending.clear()
    })
  }

  /**
   * Runs a spec (see engine.mjs). With `durationMs` the run is timed: `warmupMs` first (not
   * measured), then the window. `watch` maps names to pids whose CPU time is read at the window's
   * edges. Returns the raw result plus rps, MB/s, latency percentiles (ms) and CPU seconds.
   */
  async run(spec, { warmupMs = 0, durationMs = 0, watch = {} } = {}) {
    const startAt = Date.now() + 30
    const measureFrom = startAt + warmupMs
    const endAt = durationMs ? measureFrom + durationMs : 0
    const full = {
      host: '127.0.0.1',
      servername: 'localhost',
      identities: [],
      connections: 1,
      mode: 'keepalive',
      seed: Math.floor(Math.random() * 2 ** 31),
      expect: [200],
      ...spec,
      startAt,
      measureFrom: durationMs ? measureFrom : 0,
      endAt,
    }
    const pids = { ...watch, loadgen: this.pid }
    const before = {}
    const after = {}
    const snap = (into) => {
      for (const [k, pid] of Object.entries(pids)) into[k] = cpuSeconds(pid)
    }
    const timers = []
    if (durationMs) {
      timers.push(setTimeout(() => snap(before), Math.max(0, measureFrom - Date.now())))
      timers.push(setTimeout(() => snap(after), Math.max(0, endAt - Date.now())))
    } else snap(before)
    const id = this.nextId++
    const result = await new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.child.send({ type: 'run', id, spec: full, threads: this.threads })
    })
    for (const t of timers) clearTimeout(t)
    if (!durationMs || Object.keys(after).length === 0) snap(after)
    const windowMs = durationMs || Math.max(1e-3, result.lastEnd - result.firstStart)
    const cpu = {}
    for (const k of Object.keys(pids)) cpu[k] = Math.max(0, (after[k] ?? 0) - (before[k] ?? 0))
    const latency = latencySummary(result.latencies)
    delete result.latencies
    return {
      ...result,
      windowMs,
      rps: result.completed / (windowMs / 1000),
      mbps: result.bodyBytes / 1e6 / (windowMs / 1000),
      latency,
      cpu,
    }
  }

  async close() {
    if (this.child.exitCode !== null) return
    const gone = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.disconnect()
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000)
    await gone
    clearTimeout(t)
  }
}
