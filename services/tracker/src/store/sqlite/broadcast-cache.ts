/**
 * Live broadcasts by e-mail, in memory, in front of the SQLite table: a lookup is the tracker's
 * most frequent request, and reading one row through better-sqlite3 (statement, row object, two
 * JSON.parse) cost more than the rest of our code on that path.
 *
 * Exact, not "fresh enough": every answer is what the table holds at that moment.
 * - The store's own writes (ready, heartbeat, offline) update the entry as they write the row.
 * - Anything else that changes the database is noticed before the next read, by two counters SQLite
 *   keeps per connection: `total_changes()` (rows this connection changed by any statement, e.g. a
 *   sweep, a registry write or a test writing through `store.db`) and `PRAGMA data_version`
 *   (changes committed by other connections, e.g. a second process on the same file). When either
 *   moved, the whole cache is dropped.
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
  private readonly generationStatement: Database.Statement<[], [number, number]>
  private changes = -1
  private version = -1

  constructor(
    db: Database.Database,
    private readonly maxEntries = BROADCAST_CACHE_MAX_ENTRIES,
  ) {
    this.generationStatement = db
      .prepare<[], [number, number]>('SELECT total_changes(), data_version FROM pragma_data_version')
      .raw(true)
  }

  get size(): number {
    return this.entries.size
  }

  /** Drops everything when the database changed other than through `write`. */
  private validate(): void {
    const [changes, version] = this.generationStatement.get() as [number, number]
    if (changes !== this.changes || version !== this.version) {
      this.entries.clear()
      this.changes = changes
      this.version = version
    }
  }

  /**
   * The live broadcast of `email` at `now`: from memory when known, else from `load` (the table),
   * remembered for next time.
   */
  read(email: string, now: number, load: () => BroadcastRecord | undefined): BroadcastRecord | undefined {
    this.validate()
    let entry = this.entries.get(email)
    if (entry === undefined) {
      entry = load() ?? null
      this.remember(email, entry)
    }
    return entry !== null && entry.expiresAt > now ? entry : undefined
  }

  /**
   * Runs one of the store's own writes of a broadcast and records its outcome: `affected` names the
   * e-mail whose row the write changed and the row as it is now (null: gone), or undefined when the
   * write changed no row. A change made meanwhile by another connection still drops the cache.
   */
  write<T>(run: () => T, affected: (result: T) => [email: string, record: BroadcastRecord | null] | undefined): T {
    this.validate()
    const result = run()
    const [changes, version] = this.generationStatement.get() as [number, number]
    if (version !== this.version) {
      this.entries.clear()
      this.version = version
    }
    this.changes = changes
    const outcome = affected(result)
    if (outcome) this.remember(outcome[0], outcome[1])
    return result
  }

  /** Forget one e-mail (its row changed in a way the caller cannot describe). */
  forget(email: string): void {
    this.entries.delete(email)
  }

  clear(): void {
    this.entries.clear()
  }

  private remember(email: string, entry: BroadcastRecord | null): void {
    this.entries.delete(email)
    if (this.entries.size >= this.maxEntries) {
      // Oldest first: Map keeps insertion order, and every (re)insertion moves a key to the end.
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
