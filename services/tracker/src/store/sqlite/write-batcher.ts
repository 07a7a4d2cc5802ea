/**
 * Group commit for the SQLite store's small, frequent writes (ready, heartbeat, offline).
 *
 * Each commit appends every page it touched to the WAL (the row, the primary key, the e-mail and
 * expiry indexes): alone, one upsert costs about ten times its share of a batch. So writes that
 * arrive in the same turn of the event loop are queued and run together in one transaction at the
 * end of that turn (setImmediate: after the I/O phase in which their requests were read). Under
 * load a batch holds one write per connection that had a request ready; on an idle tracker it holds
 * one, a few microseconds later than it would have run alone.
 *
 * Each write still succeeds or fails on its own: a failing statement rolls back only itself (the
 * others of its batch commit) and rejects only its own caller. A write is answered only after its
 * transaction committed, so nobody is ever told about a row that is not in the table.
 */
import type Database from 'better-sqlite3'

interface QueuedWrite {
  run: () => unknown
  resolve: (value: unknown) => void
  reject: (err: unknown) => void
}

export class WriteBatcher {
  private queue: QueuedWrite[] = []
  private scheduled: NodeJS.Immediate | undefined
  /** Batches committed and writes in them (tests, diagnostics). */
  readonly stats = { batches: 0, writes: 0, largest: 0 }
  private readonly runBatch: (batch: readonly QueuedWrite[]) => unknown[]

  /**
   * `onBatch(true)` runs inside each batch's transaction before its writes (the write lock is held:
   * no other connection can commit until it ends), `onBatch(false)` when the transaction is over.
   */
  constructor(db: Database.Database, options: { onBatch?: (inside: boolean) => void } = {}) {
    const onBatch = options.onBatch
    const inTransaction = db.transaction((batch: readonly QueuedWrite[]) => {
      onBatch?.(true)
      const outcomes: unknown[] = []
      for (const write of batch) {
        try {
          outcomes.push({ ok: true, value: write.run() })
        } catch (err) {
          // SQLite undid this statement only; the transaction and the other writes go on.
          outcomes.push({ ok: false, error: err })
        }
      }
      return outcomes
    })
    this.runBatch = (batch) => {
      try {
        return inTransaction.immediate(batch)
      } finally {
        onBatch?.(false)
      }
    }
  }

  /** Queue `run` (synchronous statements) for this turn's transaction; resolves after the commit. */
  enqueue<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (value: unknown) => void, reject })
      this.scheduled ??= setImmediate(() => this.flush())
    })
  }

  /** Run what is queued now (also called before the database closes). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled)
    this.scheduled = undefined
    const batch = this.queue
    if (batch.length === 0) return
    this.queue = []
    let outcomes: unknown[]
    try {
      outcomes = batch.length === 1 ? [this.runAlone(batch[0] as QueuedWrite)] : this.runBatch(batch)
    } catch (err) {
      // The transaction itself failed (BEGIN or COMMIT: busy, disk full): nothing of it was written.
      for (const write of batch) write.reject(err)
      return
    }
    this.stats.batches++
    this.stats.writes += batch.length
    this.stats.largest = Math.max(this.stats.largest, batch.length)
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i] as { ok: true; value: unknown } | { ok: false; error: unknown }
      const write = batch[i] as QueuedWrite
      if (outcome.ok) write.resolve(outcome.value)
      else write.reject(outcome.error)
    }
  }

  /** One write is its own (autocommit) transaction: no BEGIN/COMMIT round. */
  private runAlone(write: QueuedWrite): { ok: true; value: unknown } | { ok: false; error: unknown } {
    try {
      return { ok: true, value: write.run() }
    } catch (err) {
      return { ok: false, error: err }
    }
  }
}
