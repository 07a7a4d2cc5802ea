/**
 * The PostgreSQL store (node-postgres): the same behaviour as the SQLite store, for several tracker
 * replicas sharing one database. Statements are single round trips where they can be; concurrency is
 * settled by the database (unique constraints, ON CONFLICT, SKIP LOCKED, advisory locks), never by
 * the process.
 */
import { randomUUID, createHash } from 'node:crypto'
import pg from 'pg'
import { postgresMigrations, type PostgresMigration } from './migrations.js'
import { PostgresRegistry } from './registry.js'
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

/** First half of every advisory-lock key of this application ("FLBK"). */
const LOCK_CLASS = 0x464c424b

/** A stable 31-bit key for a lock name (advisory locks take two int4 keys). */
export function lockKey(name: string): number {
  return createHash('sha256').update(name).digest().readInt32BE(0)
}

interface ClientRow {
  id: string
  email: string
  fingerprint: string
  certificate_pem: string
  registered_at: string
}

interface BroadcastRow {
  client_id: string
  broadcast_id: string
  email: string
  fingerprint: string
  port: number
  addresses: string[]
  capabilities: Record<string, unknown>
  last_seen: string
  expires_at: string
}

function toClient(row: ClientRow): ClientRecord {
  return {
    id: row.id,
    email: row.email,
    fingerprint: row.fingerprint,
    certificatePem: row.certificate_pem,
    registeredAt: Number(row.registered_at),
  }
}

function toBroadcast(row: BroadcastRow): BroadcastRecord {
  return {
    broadcastId: row.broadcast_id,
    clientId: row.client_id,
    email: row.email,
    fingerprint: row.fingerprint,
    port: row.port,
    addresses: row.addresses,
    capabilities: row.capabilities,
    lastSeen: Number(row.last_seen),
    expiresAt: Number(row.expires_at),
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

export interface PostgresStoreOptions {
  /** postgres://user:pass@host:port/db — a `schema` query parameter selects (and creates) a schema. */
  connectionString: string
  /** Pool size (DATABASE_POOL_MAX). */
  poolMax?: number
  /** Schema to work in (created if missing); overrides the URL's `schema` parameter. */
  schema?: string
  /** Told about errors on idle connections (the pool replaces them). */
  onError?: (err: Error) => void
  /** Migrations to apply (tests append their own). */
  migrations?: readonly PostgresMigration[]
}

/** Split a `schema` parameter off a connection string (pg itself does not know it). */
export function parseDatabaseUrl(url: string): { connectionString: string; schema: string | undefined } {
  const parsed = new URL(url)
  const schema = parsed.searchParams.get('schema') ?? undefined
  parsed.searchParams.delete('schema')
  return { connectionString: parsed.toString(), schema }
}

export class PostgresStore implements TrackerStore {
  readonly backend = 'postgres' as const
  readonly pool: pg.Pool
  readonly schema: string | undefined
  private readonly clientConfig: pg.ClientConfig
  private readonly onError: (err: Error) => void
  /** A connection of its own for advisory locks, so a held lock never takes a pool slot. */
  private lockClient: pg.Client | undefined
  private readonly running = new Set<string>()
  private closed = false
  /** The file registry's statements (./registry.ts). */
  private readonly registry: PostgresRegistry

  private constructor(options: PostgresStoreOptions) {
    const { connectionString, schema } = parseDatabaseUrl(options.connectionString)
    this.schema = options.schema ?? schema
    this.onError = options.onError ?? (() => undefined)
    this.clientConfig = {
      connectionString,
      application_name: 'flashback-tracker',
      // Each session works in the chosen schema only.
      ...(this.schema ? { options: `-c search_path=${quoteIdent(this.schema)}` } : {}),
    }
    this.pool = new pg.Pool({ ...this.clientConfig, max: options.poolMax ?? 10, idleTimeoutMillis: 30_000 })
    // An idle connection dropped by the server must not crash the process; the pool makes a new one.
    this.pool.on('error', (err) => this.onError(err))
    this.registry = new PostgresRegistry(this.pool)
  }

  /** Connect, create the schema if asked, and migrate (under an advisory lock). */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(options)
    try {
      if (store.schema) {
        // Outside the search_path setting: the schema may not exist yet.
        const admin = new pg.Client({ connectionString: store.clientConfig.connectionString })
        await admin.connect()
        try {
          await admin.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(store.schema)}`)
        } catch (err) {
          // Two replicas creating it at once: one wins, the other sees a unique violation.
          if ((err as { code?: string }).code !== '23505') throw err
        } finally {
          await admin.end()
        }
      }
      await store.migrate(options.migrations ?? postgresMigrations)
    } catch (err) {
      await store.close()
      throw err
    }
    return store
  }

  /** Apply the migrations this database has not seen; returns the versions applied here. */
  async migrate(migrations: readonly PostgresMigration[]): Promise<number[]> {
    const client = await this.pool.connect()
    const key = lockKey(`migrate:${this.schema ?? 'public'}`)
    const done: number[] = []
    try {
      await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_CLASS, key])
      try {
        await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
          version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`)
        const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version))
        const known = Math.max(0, ...migrations.map((m) => m.version))
        const newest = Math.max(0, ...applied)
        if (newest > known) {
          throw new Error(`the database schema is at version ${newest}, newer than this tracker knows (${known}); upgrade the tracker`)
        }
        for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
          if (applied.has(migration.version)) continue
          await client.query('BEGIN')
          try {
            await client.query(migration.up)
            await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
              migration.version,
              migration.name,
              Date.now(),
            ])
            await client.query('COMMIT')
            done.push(migration.version)
          } catch (err) {
            await client.query('ROLLBACK')
            throw err
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, key])
      }
    } finally {
      client.release()
    }
    return done
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1')
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const lock = this.lockClient
    this.lockClient = undefined
    await Promise.all([this.pool.end(), lock?.end().catch(() => undefined)])
  }

  async registerClient(input: { email: string; fingerprint: string; certificatePem: string; now: number }): Promise<RegisterResult> {
    // A concurrent insert of the same e-mail or fingerprint makes ON CONFLICT wait for it, then do nothing;
    // the reads after it see the winner. Retry once in the unlikely case the winner rolled back in between.
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await this.pool.query<ClientRow>(
        `INSERT INTO clients (id, email, fingerprint, certificate_pem, registered_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING *`,
        [randomUUID(), input.email, input.fingerprint, input.certificatePem, input.now],
      )
      if (inserted.rows[0]) return { outcome: 'created', client: toClient(inserted.rows[0]) }
      const byEmail = await this.getClientByEmail(input.email)
      if (byEmail) {
        return byEmail.fingerprint === input.fingerprint ? { outcome: 'existing', client: byEmail } : { outcome: 'email_taken', client: byEmail }
      }
      const byFingerprint = await this.getClientByFingerprint(input.fingerprint)
      if (byFingerprint) return { outcome: 'certificate_taken', client: byFingerprint }
    }
    throw new Error('registration kept conflicting with a row that then disappeared')
  }

  async getClientByFingerprint(fingerprint: string): Promise<ClientRecord | undefined> {
    const { rows } = await this.pool.query<ClientRow>('SELECT * FROM clients WHERE fingerprint = $1', [fingerprint])
    return rows[0] && toClient(rows[0])
  }

  async getClientByEmail(email: string): Promise<ClientRecord | undefined> {
    const { rows } = await this.pool.query<ClientRow>('SELECT * FROM clients WHERE email = $1', [email])
    return rows[0] && toClient(rows[0])
  }

  async countClients(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM clients')
    return Number(rows[0]?.n ?? 0)
  }

  async upsertBroadcast(input: BroadcastInput): Promise<BroadcastRecord> {
    const { rows } = await this.pool.query<BroadcastRow>(
      `INSERT INTO broadcasts (client_id, broadcast_id, email, fingerprint, port, addresses, capabilities, last_seen, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (client_id) DO UPDATE SET
         broadcast_id = EXCLUDED.broadcast_id, email = EXCLUDED.email, fingerprint = EXCLUDED.fingerprint,
         port = EXCLUDED.port, addresses = EXCLUDED.addresses, capabilities = EXCLUDED.capabilities,
         last_seen = EXCLUDED.last_seen, expires_at = EXCLUDED.expires_at
       RETURNING *`,
      [
        input.clientId,
        randomUUID(),
        input.email,
        input.fingerprint,
        input.port,
        JSON.stringify(input.addresses),
        JSON.stringify(input.capabilities),
        input.now,
        input.expiresAt,
      ],
    )
    return toBroadcast(rows[0] as BroadcastRow)
  }

  async getBroadcastByEmail(email: string, now: number): Promise<BroadcastRecord | undefined> {
    const { rows } = await this.pool.query<BroadcastRow>('SELECT * FROM broadcasts WHERE email = $1 AND expires_at > $2', [email, now])
    return rows[0] && toBroadcast(rows[0])
  }

  async listBroadcasts(options: ListOptions): Promise<BroadcastRecord[]> {
    const { rows } =
      options.afterEmail === undefined
        ? await this.pool.query<BroadcastRow>('SELECT * FROM broadcasts WHERE expires_at > $1 ORDER BY email LIMIT $2', [options.now, options.limit])
        : await this.pool.query<BroadcastRow>(
            'SELECT * FROM broadcasts WHERE email > $1 AND expires_at > $2 ORDER BY email LIMIT $3',
            [options.afterEmail, options.now, options.limit],
          )
    return rows.map(toBroadcast)
  }

  async touchBroadcast(clientId: string, now: number, expiresAt: number): Promise<BroadcastRecord | undefined> {
    const { rows } = await this.pool.query<BroadcastRow>(
      'UPDATE broadcasts SET last_seen = $1, expires_at = $2 WHERE client_id = $3 AND expires_at > $1 RETURNING *',
      [now, expiresAt, clientId],
    )
    return rows[0] && toBroadcast(rows[0])
  }

  async deleteBroadcast(clientId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM broadcasts WHERE client_id = $1', [clientId])
    return (rowCount ?? 0) > 0
  }

  async countOnline(now: number): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM broadcasts WHERE expires_at > $1', [now])
    return Number(rows[0]?.n ?? 0)
  }

  async deleteExpiredBroadcasts(now: number, limit: number): Promise<number> {
    // SKIP LOCKED: rows another sweeper (or a ready) is touching are left alone, so no row is deleted
    // twice; the outer condition re-checks expiry in case a ready revived the row meanwhile.
    const { rowCount } = await this.pool.query(
      `DELETE FROM broadcasts WHERE client_id IN (
         SELECT client_id FROM broadcasts WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED
       ) AND expires_at <= $1`,
      [now, limit],
    )
    return rowCount ?? 0
  }

  private async lockConnection(): Promise<pg.Client> {
    if (this.lockClient) return this.lockClient
    const client = new pg.Client(this.clientConfig)
    client.on('error', (err) => {
      // The session (and so every lock it held) is gone; the next runExclusive reconnects.
      if (this.lockClient === client) this.lockClient = undefined
      this.onError(err)
    })
    await client.connect()
    this.lockClient = client
    return client
  }

  async runExclusive<T>(name: string, task: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    // Session advisory locks are re-entrant within one connection: exclude this process's own runs first.
    if (this.running.has(name)) return { ran: false }
    this.running.add(name)
    try {
      const client = await this.lockConnection()
      const key = lockKey(`run:${this.schema ?? 'public'}:${name}`)
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [LOCK_CLASS, key])
      if (!rows[0]?.locked) return { ran: false }
      try {
        return { ran: true, value: await task() }
      } finally {
        if (this.lockClient === client) {
          await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, key]).catch((err: Error) => this.onError(err))
        }
      }
    } finally {
      this.running.delete(name)
    }
  }

  async hitCounter(key: string, windowMs: number, now: number): Promise<CounterHit> {
    const windowEnd = (Math.floor(now / windowMs) + 1) * windowMs
    const { rows } = await this.pool.query<{ count: number; window_end: string }>(
      `INSERT INTO rate_counters (key, window_end, count) VALUES ($1, $2, 1)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN rate_counters.window_end >= EXCLUDED.window_end THEN rate_counters.count + 1 ELSE 1 END,
         window_end = GREATEST(rate_counters.window_end, EXCLUDED.window_end)
       RETURNING count, window_end`,
      [key, windowEnd],
    )
    const row = rows[0] as { count: number; window_end: string }
    return { count: row.count, resetAt: Number(row.window_end) }
  }

  async deleteStaleCounters(now: number, limit: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM rate_counters WHERE key IN (
         SELECT key FROM rate_counters WHERE window_end < $1 LIMIT $2 FOR UPDATE SKIP LOCKED
       ) AND window_end < $1`,
      [now, limit],
    )
    return rowCount ?? 0
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
