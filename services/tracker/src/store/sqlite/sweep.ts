/**
 * The SQLite store's bulk deletes (the sweeper's batches) and what keeps them from stalling the event
 * loop. Each batch is one short statement on the main connection; the WAL checkpoints run in a worker
 * thread (./checkpointer.ts). A big sweep writes the WAL faster than the worker can copy it alongside,
 * and the WAL only starts over from its beginning at a write that finds it fully copied, so without a
 * pause a 1,000,000-row sweep left a WAL of hundreds of megabytes. Hence `settle()`, awaited between
 * batches: once the WAL is large, wait (with the event loop free) for the checkpointer to catch up.
 */
import { closeSync, openSync, readSync } from 'node:fs'
import { endianness } from 'node:os'
import type Database from 'better-sqlite3'
import { Checkpointer } from './checkpointer.js'

export interface SqliteSweepOptions {
  /** The database file (':memory:': no checkpointer). */
  path: string
  /** Between the checkpointer's own checkpoints (ms; 0 = none: SQLite's automatic checkpoints on the main thread). */
  checkpointIntervalMs: number
  /** Frames in the WAL at which a bulk delete waits for a checkpoint (default 16384, 64 MiB of 4 KiB pages). */
  walHighFrames?: number
}

/** When the WAL's size cannot be read, wait for a checkpoint every this many batches. */
const BLIND_BATCHES_PER_CHECKPOINT = 16

/**
 * Frames in the WAL: `mxFrame` of the WAL-index header at the start of the `-shm` file that every
 * connection maps (https://www.sqlite.org/walformat.html, "The WAL-Index Header": 32-bit fields in
 * native byte order, iVersion 3007000 at byte 0, isInit at byte 12, mxFrame at byte 16). One read of
 * 20 bytes, no lock; undefined when the file is missing or not in that format.
 */
class WalSize {
  private fd: number | undefined
  private readonly buf = Buffer.alloc(20)
  private readonly littleEndian = endianness() === 'LE'

  constructor(private readonly shmPath: string) {}

  frames(): number | undefined {
    try {
      this.fd ??= openSync(this.shmPath, 'r')
      if (readSync(this.fd, this.buf, 0, 20, 0) < 20) return undefined
    } catch {
      return undefined
    }
    const u32 = (at: number) => (this.littleEndian ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at))
    if (u32(0) !== 3007000 || this.buf[12] !== 1) return undefined
    return u32(16)
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }
}

export class SqliteSweep {
  readonly checkpointer: Checkpointer | undefined
  private readonly wal: WalSize
  private readonly stmt
  private readonly walHighFrames: number
  /** Batches since the last wait, when the WAL's size cannot be read. */
  private blindBatches = 0

  constructor(db: Database.Database, options: SqliteSweepOptions) {
    if (options.path !== ':memory:' && options.checkpointIntervalMs > 0) {
      this.checkpointer = new Checkpointer({ db, path: options.path, intervalMs: options.checkpointIntervalMs })
    }
    this.wal = new WalSize(`${options.path}-shm`)
    this.walHighFrames = options.walHighFrames ?? 16384
    this.stmt = {
      // The subquery walks the expires_at index; the rowids it lists are deleted from the table and every index.
      deleteExpired: db.prepare(
        'DELETE FROM broadcasts WHERE rowid IN (SELECT rowid FROM broadcasts WHERE expires_at <= ? LIMIT ?)',
      ),
      deleteStaleCounters: db.prepare(
        'DELETE FROM rate_counters WHERE rowid IN (SELECT rowid FROM rate_counters WHERE window_end < ? LIMIT ?)',
      ),
    }
  }

  deleteExpiredBroadcasts(now: number, limit: number): number {
    return this.stmt.deleteExpired.run(now, limit).changes
  }

  deleteStaleCounters(now: number, limit: number): number {
    return this.stmt.deleteStaleCounters.run(now, limit).changes
  }

  /** Frames in the WAL now (undefined when that cannot be read). */
  walFrames(): number | undefined {
    return this.wal.frames()
  }

  /**
   * Awaited before every batch of a bulk delete: once the WAL holds `walHighFrames` frames, wait for
   * the checkpointer to copy them into the database file (a PASSIVE checkpoint in the worker, the
   * event loop free meanwhile). With no write in between, the next batch starts the WAL over.
   */
  async settle(): Promise<void> {
    const checkpointer = this.checkpointer
    if (!checkpointer?.alive) return
    const frames = this.wal.frames()
    if (frames === undefined ? ++this.blindBatches < BLIND_BATCHES_PER_CHECKPOINT : frames < this.walHighFrames) return
    this.blindBatches = 0
    try {
      await checkpointer.checkpoint()
    } catch {
      // The worker is gone: the main connection checkpoints by itself again.
    }
  }

  async close(): Promise<void> {
    this.wal.close()
    await this.checkpointer?.close()
  }
}
