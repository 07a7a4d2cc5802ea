/**
 * Deleting expired broadcasts without stalling the server: rows go in batches, each its own short
 * statement, with a turn of the event loop (setImmediate) between batches so requests interleave.
 * The batch size adapts so one batch takes about `targetBatchMs`, whatever the disk and row count.
 *
 * Exported for the benchmarks, which time it against a million expired rows.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { TrackerStore } from './store/types.js'

export interface SweepOptions {
  /** Rows expired at or before this time (ms) are deleted; default Date.now(). */
  now?: number
  /** First batch size (default 2000). */
  batchSize?: number
  /** Batch sizes stay within these bounds (defaults 100 and 10000). */
  minBatchSize?: number
  maxBatchSize?: number
  /**
   * Aim for batches of about this many milliseconds. Default 8 for SQLite (a batch runs on the event
   * loop) and 100 for PostgreSQL (a batch is a network round trip that holds no loop, only row locks).
   */
  targetBatchMs?: number
  /** Stop between batches when aborted (the app is closing). */
  signal?: AbortSignal
  /** Called after every batch, e.g. by a benchmark recording stalls. */
  onBatch?: (batch: { deleted: number; ms: number; size: number }) => void
}

export interface SweepResult {
  /** false when another replica was sweeping (nothing was done here). */
  ran: boolean
  deleted: number
  batches: number
  durationMs: number
  /** The longest time one batch held the event loop. */
  longestBatchMs: number
}

/** Delete expired rows of `deleteBatch` until none are left; the loop is yielded between batches. */
export async function deleteInBatches(
  deleteBatch: (limit: number) => Promise<number>,
  options: Omit<SweepOptions, 'now'> = {},
): Promise<Omit<SweepResult, 'ran'>> {
  const min = options.minBatchSize ?? 100
  const max = options.maxBatchSize ?? 10_000
  const target = options.targetBatchMs ?? 8
  let size = Math.min(max, Math.max(min, options.batchSize ?? 2000))
  const started = performance.now()
  let deleted = 0
  let batches = 0
  let longest = 0
  for (;;) {
    if (options.signal?.aborted) break
    const t0 = performance.now()
    const n = await deleteBatch(size)
    const ms = performance.now() - t0
    batches++
    deleted += n
    longest = Math.max(longest, ms)
    options.onBatch?.({ deleted: n, ms, size })
    if (n < size) break
    // Steer the next batch toward the target duration (halve when slow, grow gently when fast).
    if (ms > target) size = Math.max(min, Math.floor(size / 2))
    else if (ms < target / 2) size = Math.min(max, Math.floor(size * 1.5))
    await nextTurn()
  }
  return { deleted, batches, durationMs: performance.now() - started, longestBatchMs: longest }
}

/**
 * Delete every broadcast expired at `now`. Runs under the store's 'sweep' lock: with replicas on one
 * PostgreSQL only one sweeps at a time; the others return `{ ran: false }` at once.
 */
export async function sweepExpired(store: TrackerStore, options: SweepOptions = {}): Promise<SweepResult> {
  const now = options.now ?? Date.now()
  const targetBatchMs = options.targetBatchMs ?? (store.backend === 'postgres' ? 100 : 8)
  const outcome = await store.runExclusive('sweep', () =>
    deleteInBatches((limit) => store.deleteExpiredBroadcasts(now, limit), { ...options, targetBatchMs }),
  )
  if (!outcome.ran) return { ran: false, deleted: 0, batches: 0, durationMs: 0, longestBatchMs: 0 }
  return { ran: true, ...outcome.value }
}
