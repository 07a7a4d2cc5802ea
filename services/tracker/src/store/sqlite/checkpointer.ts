/**
 * The WAL checkpointer: a second connection in a worker thread. A checkpoint copies pages from the WAL
 * into the database file and fsyncs both; on the main thread that stalls requests for tens of
 * milliseconds (a 1,000,000-row sweep had 20-40 ms batches from it), so while this worker lives the
 * main connection does not checkpoint after its commits (wal_autocheckpoint = 0).
 *
 * The worker runs PASSIVE checkpoints only: they never take the write lock, so the main connection is
 * never made to wait for one (a RESTART, which holds the write lock while it copies and fsyncs, blocked
 * the sweep's batches for 130 ms). It checkpoints every `intervalMs` and whenever asked
 * (`checkpoint()`): bulk deletes wait for it between batches (./sweep.ts).
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type Database from 'better-sqlite3'

/** One checkpoint's outcome, as `PRAGMA wal_checkpoint` reports it (frames). */
export interface CheckpointResult {
  /** 1 when another connection held the checkpoint lock (nothing was done). */
  busy: number
  /** Frames in the WAL when the checkpoint ran. */
  log: number
  /** Frames of those now in the database file. */
  checkpointed: number
}

/**
 * Evaluated code, so it works the same from the TypeScript sources and from the esbuild bundle;
 * better-sqlite3 is located by the main thread. On Linux the thread lowers its own priority (nice is
 * per thread there): on a busy core its copying then yields to the event loop.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const os = require('node:os')
const Database = require(workerData.modulePath)
if (process.platform === 'linux') { try { os.setPriority(10) } catch {} }
const db = new Database(workerData.path)
db.pragma('busy_timeout = 100')
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)')[0]
const timer = setInterval(() => {
  try {
    const r = checkpoint()
    parentPort.postMessage({ log: r.log, behind: r.log - r.checkpointed })
  } catch (err) { parentPort.postMessage({ error: String(err && err.message || err) }) }
}, workerData.intervalMs)
parentPort.on('message', (m) => {
  if (m && m.id !== undefined) {
    try { parentPort.postMessage({ id: m.id, result: checkpoint() }) }
    catch (err) { parentPort.postMessage({ id: m.id, error: String(err && err.message || err) }) }
    return
  }
  clearInterval(timer); db.close(); parentPort.close()
})
`

/**
 * Past this many frames (256 MiB of 4 KiB pages) with the checkpoints not catching up, the main
 * connection checkpoints after its commits again. Only when writes never pause: the WAL starts over
 * at a write that finds it fully copied, and sweeps pause for that (./sweep.ts).
 */
const LAST_RESORT_FRAMES = 65536

export interface CheckpointerOptions {
  /** The database file. */
  path: string
  /** Between the worker's own checkpoints (ms). */
  intervalMs: number
  /** The main connection: its automatic checkpoints are off while the worker lives. */
  db: Database.Database
}

export class Checkpointer {
  /** Last error the worker reported. */
  error: string | undefined
  private worker: Worker | undefined
  private nextId = 0
  private readonly pending = new Map<number, { resolve: (r: CheckpointResult) => void; reject: (err: Error) => void }>()
  /** True while the main connection checkpoints by itself (see lastResort). */
  private mainCheckpoints = false

  constructor(private readonly options: CheckpointerOptions) {
    const modulePath = createRequire(import.meta.url).resolve('better-sqlite3')
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path: options.path, intervalMs: options.intervalMs, modulePath } })
    // Never keep the process alive for it; close() stops it explicitly.
    worker.unref()
    worker.on('message', (m: { id?: number; result?: CheckpointResult; error?: string; log?: number; behind?: number }) => {
      if (m.id !== undefined) {
        const waiter = this.pending.get(m.id)
        this.pending.delete(m.id)
        if (m.result) waiter?.resolve(m.result)
        else waiter?.reject(new Error(m.error ?? 'checkpoint failed'))
      } else if (m.error !== undefined) {
        this.error = m.error
      } else if (m.log !== undefined && m.behind !== undefined) {
        this.lastResort(m.log, m.behind)
      }
    })
    worker.on('error', (err) => {
      this.error = err.message
    })
    worker.on('exit', () => this.lost())
    this.worker = worker
    options.db.pragma('wal_autocheckpoint = 0')
  }

  /** True while the worker runs (false after close() or if it died). */
  get alive(): boolean {
    return this.worker !== undefined
  }

  /** Checkpoint now (PASSIVE, in the worker); rejects when the worker is gone. */
  checkpoint(): Promise<CheckpointResult> {
    const worker = this.worker
    if (!worker) return Promise.reject(new Error('the checkpointer is not running'))
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.postMessage({ id })
    })
  }

  /** Stop the worker and wait (up to 2 s) until it has closed its connection. */
  async close(): Promise<void> {
    const worker = this.worker
    if (!worker) return
    this.worker = undefined
    // Keep the process alive until the worker has closed its connection.
    worker.ref()
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
    worker.postMessage('stop')
    let timer: NodeJS.Timeout | undefined
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 2000)))])
    clearTimeout(timer)
    await worker.terminate()
    this.rejectPending()
  }

  /** Main-connection checkpoints on while the WAL is huge and not caught up; off again once it started over. */
  private lastResort(log: number, behind: number): void {
    const on = this.mainCheckpoints ? log >= LAST_RESORT_FRAMES / 4 : log >= LAST_RESORT_FRAMES && behind > 0
    if (on === this.mainCheckpoints || !this.options.db.open) return
    this.mainCheckpoints = on
    this.options.db.pragma(`wal_autocheckpoint = ${on ? 1000 : 0}`)
  }

  /** The worker is gone unasked: the main connection checkpoints by itself again (SQLite's default). */
  private lost(): void {
    if (!this.worker) return
    this.worker = undefined
    this.error ??= 'the checkpointer stopped'
    if (this.options.db.open) this.options.db.pragma('wal_autocheckpoint = 1000')
    this.rejectPending()
  }

  private rejectPending(): void {
    for (const waiter of this.pending.values()) waiter.reject(new Error('the checkpointer stopped'))
    this.pending.clear()
  }
}
