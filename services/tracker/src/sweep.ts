/**
 * Deleting expired broadcasts without stalling the server: rows go in batches, each its own short
 * statement, with a turn of the event loop (setImmediate) between batches so requests interleave.
 * The batch size adapts so no batch takes much more than `targetBatchMs`, whatever the disk and row
 * count, and the store may pause the sweep between batches (`settleWrites`: SQLite's WAL checkpoints).
 *
 * Exported for the benchmarks, which time it against a million expired rows.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { TrackerStore } from './store/types.js'

export interface SweepOptions {
  /** Rows expired at or before this time (ms) are deleted; default Date.now(). */
  now?: number
  /**
   * First batch size (default 100: the first batch of a sweep reads its pages from disk, and costs
   * several times a later one; 2000 for PostgreSQL's sweep of broadcasts).
   */
  batchSize?: number
  /** Batch sizes stay within these bounds (defaults 100 and 10000). */
  minBatchSize?: number
  maxBatchSize?: number
  /**
   * Keep batches under about this many milliseconds. Default 4: on SQLite a batch holds the event loop
   * (with batches of up to 4 ms no request waits more than ~5 ms of sweeping). PostgreSQL's sweep of
   * broadcasts uses 100 (a batch is a network round trip that holds no loop, only row locks).
   */
  targetBatchMs?: number
  /** Stop between batches when aborted (the app is closing). */
  signal?: AbortSignal
  /** Called after every batch, e.g. by a benchmark recording stalls. */
  onBatch?: (batch: { deleted: number; ms: number; size: number }) => void
  /**
   * Awaited before every batch, outside its timing (the store's `settleWrites`: SQLite lets its
   * checkpointer catch up there, so that no batch pays for a checkpoint).
   */
  settle?: () => Promise<void>
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
  const target = options.targetBatchMs ?? 4
  let size = Math.min(max, Math.max(min, options.batchSize ?? 100))
  const started = performance.now()
  let deleted = 0
  let batches = 0
  let longest = 0
  for (;;) {
    if (options.signal?.aborted) break
    if (options.settle) {
      await options.settle()
      if (options.signal?.aborted) break
    }
    // Run each batch from setImmediate: from there a turn of the loop (timers, then I/O) separates it
    // from the next one. A batch run straight from an I/O callback (the settle's reply) would be
    // followed by the next one in the same turn, with no I/O in between.
    await nextTurn()
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
  }
  return { deleted, batches, durationMs: performance.now() - started, longestBatchMs: longest }
}

/** The store's pause between batches, for `deleteInBatches`' `settle` (undefined when it has none). */
export function settlerOf(store: TrackerStore): (() => Promise<void>) | undefined {
  return store.settleWrites ? () => store.settleWrites?.() ?? Promise.resolve() : undefined
}

/**
 * Delete every broadcast expired at `now`. Runs under the store's 'sweep' lock: with replicas on one
 * PostgreSQL only one sweeps at a time; the others return `{ ran: false }` at once.
 */
export async function sweepExpired(store: TrackerStore, options: SweepOptions = {}): Promise<SweepResult> {
  const now = options.now ?? Date.now()
  const pg = store.backend === 'postgres'
  const outcome = await store.runExclusive('sweep', () =>
    deleteInBatches((limit) => store.deleteExpiredBroadcasts(now, limit), {
      settle: settlerOf(store),
      ...options,
      batchSize: options.batchSize ?? (pg ? 2000 : 100),
      targetBatchMs: options.targetBatchMs ?? (pg ? 100 : 4),
    }),
  )
  if (!outcome.ran) return { ran: false, deleted: 0, batches: 0, durationMs: 0, longestBatchMs: 0 }
  return { ran: true, ...outcome.value }
}
