/**
 * Live broadcasts by e-mail, in memory, in front of the SQLite table: a lookup is the tracker's
 * most frequent request, and reading one row through better-sqlite3 (statement, row object, two
 * JSON.parse) cost more than the rest of our code on that path.
 *
 * Exact, not "fresh enough":
 * - The store's own writes (ready, heartbeat, offline) update the entry as they write the row, and
 *   the sweep clears the cache when it deleted rows. Nothing else in the tracker writes broadcasts;
 *   code that does (a test through `store.db`) must call `clear()`.
 * - Commits by other connections (a second process on the same file) are noticed through
 *   `PRAGMA data_version`, read at the first lookup of each turn of the event loop and around every
 *   write; when it moved, the whole cache is dropped. (Once a turn, not once a lookup: the pragma
 *   cost as much as the query it saves, and within one synchronous turn nothing else can commit
 *   anything this process could have seen.)
 * - Expiry is checked on every read against the caller's clock, as the SQL query does.
 * Known-absent e-mails are cached too (half of real lookups are for people who are offline).
 * Bounded: past `maxEntries` the oldest entries go.
 */
import type Database from 'better-sqlite3'
import type { BroadcastRecord } from '../types.js'

export const BROADCAST_CACHE_MAX_ENTRIES = 20_000

export class BroadcastCache {
  /** e-mail → its broadcast (possibly expired since), or null: none in the table. */
  private readonly entries = new Map<string, BroadcastRecord | null>()
  private readonly dataVersion: Database.Statement<[], number>
  private version = -1
  private checkedThisTurn = false
  /** Inside a write transaction that already checked: nobody else can commit until it ends. */
  private inTransaction = false
  private readonly endTurn = () => {
    this.checkedThisTurn = false
  }

  constructor(
    db: Database.Database,
    private readonly maxEntries = BROADCAST_CACHE_MAX_ENTRIES,
  ) {
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck(true)
  }

  get size(): number {
    return this.entries.size
  }

  /** Drops everything when another connection committed since the last look. */
  private validate(force: boolean): void {
    if (this.checkedThisTurn && !force) return
    if (!this.checkedThisTurn) {
      this.checkedThisTurn = true
      setImmediate(this.endTurn)
    }
    const version = this.dataVersion.get() as number
    if (version !== this.version) {
      this.entries.clear()
      this.version = version
    }
  }

  /**
   * The live broadcast of `email` at `now`: from memory when known, else from `load` (the table),
   * remembered for next time.
   */
  read(email: string, now: number, load: () => BroadcastRecord | undefined): BroadcastRecord | undefined {
    this.validate(false)
    let entry = this.entries.get(email)
    if (entry === undefined) {
      entry = load() ?? null
      this.remember(email, entry)
    }
    return entry !== null && entry.expiresAt > now ? entry : undefined
  }

  /**
   * The store's writes run inside an IMMEDIATE transaction (the write batcher's) from `true` to
   * `false`: the cache checks for others' commits once at its start, since while it holds the write
   * lock nobody else can commit.
   */
  setInTransaction(inside: boolean): void {
    if (inside) this.validate(true)
    this.inTransaction = inside
  }

  /**
   * Runs one of the store's own writes of a broadcast and records its outcome: `affected` names the
   * e-mail whose row the write changed and the row as it is now (null: gone), or undefined when the
   * write changed no row. A change made meanwhile by another connection still drops the cache.
   */
  write<T>(run: () => T, affected: (result: T) => [email: string, record: BroadcastRecord | null] | undefined): T {
    if (!this.inTransaction) this.validate(true)
    const result = run()
    // A commit by someone else between the look above and this write would show here.
    if (!this.inTransaction) this.validate(true)
    const outcome = affected(result)
    if (outcome) this.remember(outcome[0], outcome[1])
    return result
  }

  /** Forget everything (the sweep deleted rows; a test wrote the table directly). */
  clear(): void {
    this.entries.clear()
  }

  private remember(email: string, entry: BroadcastRecord | null): void {
    // An e-mail already cached is updated in place (a ready or heartbeat of a known peer: the common
    // write); deleting and re-adding it, to move it to the end, cost a tenth of a ready. So "oldest"
    // below means first cached, not last written.
    if (this.entries.size >= this.maxEntries && !this.entries.has(email)) {
      // Oldest first: Map keeps insertion order.
      const drop = Math.max(1, this.maxEntries >> 4)
      let n = 0
      for (const key of this.entries.keys()) {
        this.entries.delete(key)
        if (++n >= drop) break
      }
    }
    this.entries.set(email, entry)
  }
}
