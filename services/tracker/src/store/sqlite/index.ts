/**
 * The SQLite store (better-sqlite3): WAL journal, versioned migrations, prepared statements.
 * better-sqlite3 is synchronous; every statement here touches a handful of rows through an index,
 * so each call is short, and the one bulk operation (sweeping expired rows) is done in bounded batches.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { randomUUID } from 'node:crypto'
import Database from 'better-sqlite3'
import { BroadcastCache } from './broadcast-cache.js'
import { sqliteMigrations, type SqliteMigration } from './migrations.js'
import { SqliteRegistry } from './registry.js'
import { WriteBatcher } from './write-batcher.js'
import { SqliteSweep } from './sweep.js'
import type {
  BroadcastInput,
  BroadcastRecord,
  ClientRecord,
  CounterHit,
  ListOptions,
  RegisterResult,
  RegistryHit,
  RegistryPublishInput,
  RegistryPublishResult,
  RegistrySearch,
  RegistryStatsRecord,
  TrackerStore,
} from '../types.js'

interface ClientRow {
  id: string
  email: string
  fingerprint: string
  certificate_pem: string
  registered_at: number
}

interface BroadcastRow {
  client_id: string
  broadcast_id: string
  email: string
  fingerprint: string
  port: number
  addresses: string
  capabilities: string
  last_seen: number
  expires_at: number
}

function toClient(row: ClientRow): ClientRecord {
  return {
    id: row.id,
    email: row.email,
    fingerprint: row.fingerprint,
    certificatePem: row.certificate_pem,
    registeredAt: row.registered_at,
  }
}

function toBroadcast(row: BroadcastRow): BroadcastRecord {
  return {
    broadcastId: row.broadcast_id,
    clientId: row.client_id,
    email: row.email,
    fingerprint: row.fingerprint,
    port: row.port,
    addresses: JSON.parse(row.addresses) as string[],
    capabilities: JSON.parse(row.capabilities) as Record<string, unknown>,
    lastSeen: row.last_seen,
    expiresAt: row.expires_at,
  }
}

/** Apply the migrations the database has not seen yet; returns the versions applied. */
export function migrateSqlite(db: Database.Database, migrations: readonly SqliteMigration[] = sqliteMigrations): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  )
  const known = Math.max(0, ...migrations.map((m) => m.version))
  const newest = Math.max(0, ...applied)
  if (newest > known) {
    throw new Error(`the database schema is at version ${newest}, newer than this tracker knows (${known}); upgrade the tracker`)
  }
  const done: number[] = []
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue
    // IMMEDIATE takes the write lock up front, so two processes opening one file migrate in turn.
    const run = db.transaction(() => {
      const again = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version)
      if (again) return
      if (typeof migration.up === 'string') db.exec(migration.up)
      else migration.up(db)
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        Date.now(),
      )
      done.push(migration.version)
    })
    run.immediate()
  }
  return done
}

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  path: string
  /**
   * Checkpoint the WAL from a worker thread every this many ms (default 250; 0 = SQLite's own
   * automatic checkpoints on the main thread). A checkpoint copies pages into the database file and
   * fsyncs it; on the main thread that can stall requests for tens of milliseconds after a big write.
   */
  checkpointIntervalMs?: number
}

export class SqliteStore implements TrackerStore {
  readonly backend = 'sqlite' as const
  /** The connection, for later features' statements (registry, …) and for tests. */
  readonly db: Database.Database
  private readonly running = new Set<string>()
  private readonly stmt
  /** The file registry's statements (./registry.ts). */
  private readonly registry: SqliteRegistry
  /** Live broadcasts by e-mail in memory, exact (./broadcast-cache.ts). */
  private readonly broadcasts: BroadcastCache
  /** Group commit of ready/heartbeat/offline writes (./write-batcher.ts). */
  private readonly writes: WriteBatcher
  /** Bulk deletes and the WAL checkpointer thread (./sweep.ts). */
  private readonly sweep: SqliteSweep

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 })
    this.db = new Database(options.path)
    try {
      this.db.pragma('journal_mode = WAL')
      // NORMAL is durable across application crashes in WAL mode; only a power loss may drop the last commits.
      this.db.pragma('synchronous = NORMAL')
      this.db.pragma('foreign_keys = ON')
      this.db.pragma('busy_timeout = 5000')
      // 32 MiB of page cache: index pages of a large sweep stay in memory.
      this.db.pragma('cache_size = -32768')
      migrateSqlite(this.db)
      this.sweep = new SqliteSweep(this.db, { path: options.path, checkpointIntervalMs: options.checkpointIntervalMs ?? 250 })
    } catch (err) {
      this.db.close()
      throw err
    }
    const db = this.db
    this.registry = new SqliteRegistry(db)
    this.broadcasts = new BroadcastCache(db)
    // Inside a batch's IMMEDIATE transaction no other connection can commit: the cache checks once per batch.
    this.writes = new WriteBatcher(db, { onBatch: (inside) => this.broadcasts.setInTransaction(inside) })
    this.stmt = {
      ping: db.prepare('SELECT 1'),
      clientByEmail: db.prepare('SELECT * FROM clients WHERE email = ?'),
      clientByFingerprint: db.prepare('SELECT * FROM clients WHERE fingerprint = ?'),
      insertClient: db.prepare(
        'INSERT INTO clients (id, email, fingerprint, certificate_pem, registered_at) VALUES (?, ?, ?, ?, ?)',
      ),
      countClients: db.prepare('SELECT count(*) AS n FROM clients'),
      // e-mail and fingerprint are left out of the update: a client's never change, and naming them
      // would make SQLite rewrite the unique e-mail index entry on every ready.
      upsertBroadcast: db.prepare(`
        INSERT INTO broadcasts (client_id, broadcast_id, email, fingerprint, port, addresses, capabilities, last_seen, expires_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (client_id) DO UPDATE SET
          broadcast_id = excluded.broadcast_id, port = excluded.port, addresses = excluded.addresses,
          capabilities = excluded.capabilities, last_seen = excluded.last_seen, expires_at = excluded.expires_at`),
      broadcastRowByEmail: db.prepare('SELECT * FROM broadcasts WHERE email = ?'),
      listFirst: db.prepare('SELECT * FROM broadcasts WHERE expires_at > ? ORDER BY email LIMIT ?'),
      listAfter: db.prepare('SELECT * FROM broadcasts WHERE email > ? AND expires_at > ? ORDER BY email LIMIT ?'),
      touch: db.prepare(
        'UPDATE broadcasts SET last_seen = ?, expires_at = ? WHERE client_id = ? AND expires_at > ? RETURNING *',
      ),
      deleteBroadcast: db.prepare('DELETE FROM broadcasts WHERE client_id = ? RETURNING email'),
      countOnline: db.prepare('SELECT count(*) AS n FROM broadcasts WHERE expires_at > ?'),
      hit: db.prepare(`
        INSERT INTO rate_counters (key, window_end, count) VALUES (?, ?, 1)
        ON CONFLICT (key) DO UPDATE SET
          count = CASE WHEN rate_counters.window_end >= excluded.window_end THEN rate_counters.count + 1 ELSE 1 END,
          window_end = max(rate_counters.window_end, excluded.window_end)
        RETURNING count, window_end`),
    }
  }

  async ping(): Promise<void> {
    this.stmt.ping.get()
  }

  /** Last error the checkpointer thread reported. */
  get checkpointError(): string | undefined {
    return this.sweep.checkpointer?.error
  }

  async close(): Promise<void> {
    // Writes already queued are answered before the connection goes.
    if (this.db.open) this.writes.flush()
    await this.sweep.close()
    if (!this.db.open) return
    // Fold the WAL back into the main file so a stopped tracker leaves one self-contained database.
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)')
    } catch {
      // A busy checkpoint is harmless: the WAL is replayed on the next open.
    }
    this.db.close()
  }

  async registerClient(input: { email: string; fingerprint: string; certificatePem: string; now: number }): Promise<RegisterResult> {
    const register = this.db.transaction((): RegisterResult => {
      const byEmail = this.stmt.clientByEmail.get(input.email) as ClientRow | undefined
      if (byEmail) {
        return byEmail.fingerprint === input.fingerprint
          ? { outcome: 'existing', client: toClient(byEmail) }
          : { outcome: 'email_taken', client: toClient(byEmail) }
      }
      const byFingerprint = this.stmt.clientByFingerprint.get(input.fingerprint) as ClientRow | undefined
      if (byFingerprint) return { outcome: 'certificate_taken', client: toClient(byFingerprint) }
      const row: ClientRow = {
        id: randomUUID(),
        email: input.email,
        fingerprint: input.fingerprint,
        certificate_pem: input.certificatePem,
        registered_at: input.now,
      }
      this.stmt.insertClient.run(row.id, row.email, row.fingerprint, row.certificate_pem, row.registered_at)
      return { outcome: 'created', client: toClient(row) }
    })
    return register.immediate()
  }

  async getClientByFingerprint(fingerprint: string): Promise<ClientRecord | undefined> {
    const row = this.stmt.clientByFingerprint.get(fingerprint) as ClientRow | undefined
    return row && toClient(row)
  }

  async getClientByEmail(email: string): Promise<ClientRecord | undefined> {
    const row = this.stmt.clientByEmail.get(email) as ClientRow | undefined
    return row && toClient(row)
  }

  async countClients(): Promise<number> {
    return (this.stmt.countClients.get() as { n: number }).n
  }

  upsertBroadcast(input: BroadcastInput): Promise<BroadcastRecord> {
    // The row as written is the record: built here instead of read back (RETURNING *) and parsed again.
    const record: BroadcastRecord = {
      broadcastId: randomUUID(),
      clientId: input.clientId,
      email: input.email,
      fingerprint: input.fingerprint,
      port: input.port,
      addresses: [...input.addresses],
      capabilities: input.capabilities,
      lastSeen: input.now,
      expiresAt: input.expiresAt,
    }
    const addresses = JSON.stringify(record.addresses)
    const capabilities = JSON.stringify(record.capabilities)
    return this.writes.enqueue(() =>
      this.broadcasts.write(
        () => {
          this.stmt.upsertBroadcast.run(
            record.clientId, record.broadcastId, record.email, record.fingerprint, record.port,
            addresses, capabilities, record.lastSeen, record.expiresAt,
          )
          return record
        },
        (written) => [written.email, written],
      ),
    )
  }

  async getBroadcastByEmail(email: string, now: number): Promise<BroadcastRecord | undefined> {
    return this.broadcasts.read(email, now, () => {
      // Any row, live or not: the cache checks expiry against each caller's clock.
      const row = this.stmt.broadcastRowByEmail.get(email) as BroadcastRow | undefined
      return row && toBroadcast(row)
    })
  }

  async listBroadcasts(options: ListOptions): Promise<BroadcastRecord[]> {
    const rows = (
      options.afterEmail === undefined
        ? this.stmt.listFirst.all(options.now, options.limit)
        : this.stmt.listAfter.all(options.afterEmail, options.now, options.limit)
    ) as BroadcastRow[]
    return rows.map(toBroadcast)
  }

  touchBroadcast(clientId: string, now: number, expiresAt: number): Promise<BroadcastRecord | undefined> {
    return this.writes.enqueue(() =>
      this.broadcasts.write(
        () => {
          const row = this.stmt.touch.get(now, expiresAt, clientId, now) as BroadcastRow | undefined
          return row && toBroadcast(row)
        },
        (record) => (record ? [record.email, record] : undefined),
      ),
    )
  }

  deleteBroadcast(clientId: string): Promise<boolean> {
    return this.writes.enqueue(
      () =>
        this.broadcasts.write(
          () => this.stmt.deleteBroadcast.get(clientId) as { email: string } | undefined,
          (row) => (row ? [row.email, null] : undefined),
        ) !== undefined,
    )
  }

  async countOnline(now: number): Promise<number> {
    return (this.stmt.countOnline.get(now) as { n: number }).n
  }

  async deleteExpiredBroadcasts(now: number, limit: number): Promise<number> {
    const deleted = this.sweep.deleteExpiredBroadcasts(now, limit)
    // The rows were expired, but a caller whose clock reads earlier must not get them from memory.
    if (deleted > 0) this.broadcasts.clear()
    return deleted
  }

  settleWrites(): Promise<void> {
    return this.sweep.settle()
  }

  async runExclusive<T>(name: string, task: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    if (this.running.has(name)) return { ran: false }
    this.running.add(name)
    try {
      return { ran: true, value: await task() }
    } finally {
      this.running.delete(name)
    }
  }

  async hitCounter(key: string, windowMs: number, now: number): Promise<CounterHit> {
    const windowEnd = (Math.floor(now / windowMs) + 1) * windowMs
    const row = this.stmt.hit.get(key, windowEnd) as { count: number; window_end: number }
    return { count: row.count, resetAt: row.window_end }
  }

  async deleteStaleCounters(now: number, limit: number): Promise<number> {
    return this.sweep.deleteStaleCounters(now, limit)
  }

  // ---- the file registry (./registry.ts) ----

  publishFiles(input: RegistryPublishInput): Promise<RegistryPublishResult> {
    return this.registry.publishFiles(input)
  }

  unpublishFiles(clientId: string, paths: readonly string[]): Promise<number> {
    return this.registry.unpublishFiles(clientId, paths)
  }

  unpublishAll(clientId: string): Promise<number> {
    return this.registry.unpublishAll(clientId)
  }

  unpublishByName(clientId: string, filename: string, sha256?: string): Promise<number> {
    return this.registry.unpublishByName(clientId, filename, sha256)
  }

  searchRegistry(search: RegistrySearch): Promise<RegistryHit[]> {
    return this.registry.searchRegistry(search)
  }

  registryStats(): Promise<RegistryStatsRecord> {
    return this.registry.registryStats()
  }

  registryNames(options: { limit: number; afterName?: string | undefined }): Promise<string[]> {
    return this.registry.registryNames(options)
  }

  refreshRegistryOnline(now: number, limit: number): Promise<number> {
    return this.registry.refreshRegistryOnline(now, limit)
  }

  deleteOfflineRegistryEntries(cutoff: number, now: number, limit: number): Promise<number> {
    return this.registry.deleteOfflineRegistryEntries(cutoff, now, limit)
  }

  sharedSecret(name: string, candidate: Uint8Array, now: number): Promise<Buffer> {
    return this.registry.sharedSecret(name, candidate, now)
  }
}
