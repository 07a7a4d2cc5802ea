/**
 * The file registry on PostgreSQL: the same tables and behaviour as ../sqlite/registry.ts.
 * Publishing is one transaction (upsert of the publisher, one multi-row upsert of the entries through
 * unnest, the quota check); clean-ups take rows with SKIP LOCKED so replicas never fight over them.
 */
import type pg from 'pg'
import type {
  RegistryHit,
  RegistryPublishInput,
  RegistryPublishResult,
  RegistrySearch,
  RegistryStatsRecord,
  RegistryStore,
} from '../types.js'

/** Appended to the PostgreSQL migrations list (version 2). */
export const POSTGRES_REGISTRY_MIGRATION = `
  CREATE TABLE registry_peers (
    client_id uuid PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    email text COLLATE "C" NOT NULL,
    fingerprint text NOT NULL,
    -- The last moment the publisher was known to be online (its latest write, or the expiry of its
    -- latest broadcast seen by the sweep). Offline retention counts from here.
    online_until bigint NOT NULL
  );
  CREATE INDEX registry_peers_online_until ON registry_peers (online_until);
  CREATE TABLE registry_files (
    client_id uuid NOT NULL REFERENCES registry_peers (client_id) ON DELETE CASCADE,
    -- "C" collation: byte order, as SQLite sorts, so paging is identical on both backends.
    path text COLLATE "C" NOT NULL,
    name text COLLATE "C" NOT NULL,
    name_lower text NOT NULL,
    sha256 text NOT NULL,
    size bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (client_id, path)
  );
  CREATE INDEX registry_files_sha256 ON registry_files (sha256);
  CREATE INDEX registry_files_name ON registry_files (name);
  CREATE TABLE tracker_secrets (
    name text PRIMARY KEY,
    value bytea NOT NULL,
    created_at bigint NOT NULL
  );
`

interface HitRow {
  email: string
  fingerprint: string
  path: string
  name: string
  sha256: string
  size: string
  online: number
}

const toHit = (row: HitRow): RegistryHit => ({
  email: row.email,
  fingerprint: row.fingerprint,
  path: row.path,
  name: row.name,
  sha256: row.sha256,
  size: Number(row.size),
  online: row.online === 1,
})

/** $1 value, $2 now, $3 limit, $4..$6 the cursor (online as 0/1, e-mail, path) or nulls. */
function searchSql(match: string): string {
  return `
    SELECT * FROM (
      SELECT p.email, p.fingerprint, f.path, f.name, f.sha256, f.size,
        CASE WHEN EXISTS (SELECT 1 FROM broadcasts b WHERE b.client_id = f.client_id AND b.expires_at > $2) THEN 1 ELSE 0 END AS online
      FROM registry_files f JOIN registry_peers p ON p.client_id = f.client_id
      WHERE ${match}
    ) AS h
    WHERE $4::int IS NULL
      OR h.online < $4::int
      OR (h.online = $4::int AND (h.email > $5::text OR (h.email = $5::text AND h.path > $6::text)))
    ORDER BY h.online DESC, h.email, h.path
    LIMIT $3`
}

const SEARCH = {
  name: searchSql('strpos(f.name_lower, $1) > 0'),
  exact_name: searchSql('f.name = $1'),
  sha256: searchSql('f.sha256 = $1'),
} as const

export class PostgresRegistry implements RegistryStore {
  constructor(private readonly pool: pg.Pool) {}

  async publishFiles(input: RegistryPublishInput): Promise<RegistryPublishResult> {
    const { client, files, now } = input
    const db = await this.pool.connect()
    try {
      await db.query('BEGIN')
      try {
        await db.query(
          `INSERT INTO registry_peers (client_id, email, fingerprint, online_until) VALUES ($1, $2, $3, $4)
           ON CONFLICT (client_id) DO UPDATE SET online_until = GREATEST(registry_peers.online_until, EXCLUDED.online_until)`,
          [client.id, client.email, client.fingerprint, now],
        )
        await db.query(
          `INSERT INTO registry_files (client_id, path, name, name_lower, sha256, size, updated_at)
           SELECT $1, t.path, t.name, t.name_lower, t.sha256, t.size, $2
           FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[]) AS t (path, name, name_lower, sha256, size)
           ON CONFLICT (client_id, path) DO UPDATE SET
             name = EXCLUDED.name, name_lower = EXCLUDED.name_lower, sha256 = EXCLUDED.sha256,
             size = EXCLUDED.size, updated_at = EXCLUDED.updated_at`,
          [
            client.id,
            now,
            files.map((f) => f.path),
            files.map((f) => f.name),
            files.map((f) => f.name.toLowerCase()),
            files.map((f) => f.sha256),
            files.map((f) => String(f.size)),
          ],
        )
        const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM registry_files WHERE client_id = $1', [client.id])
        const total = Number(rows[0]?.n ?? 0)
        if (total > input.maxFiles) {
          await db.query('ROLLBACK')
          return { outcome: 'quota_exceeded', total }
        }
        await db.query('COMMIT')
        return { outcome: 'stored', stored: files.length, total }
      } catch (err) {
        await db.query('ROLLBACK').catch(() => undefined)
        throw err
      }
    } finally {
      db.release()
    }
  }

  async unpublishFiles(clientId: string, paths: readonly string[]): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM registry_files WHERE client_id = $1 AND path = ANY($2::text[])', [clientId, [...paths]])
    return rowCount ?? 0
  }

  async unpublishAll(clientId: string): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM registry_files WHERE client_id = $1', [clientId])
    await this.pool.query('DELETE FROM registry_peers WHERE client_id = $1', [clientId])
    return rowCount ?? 0
  }

  async unpublishByName(clientId: string, filename: string, sha256?: string): Promise<number> {
    const { rowCount } =
      sha256 === undefined
        ? await this.pool.query('DELETE FROM registry_files WHERE client_id = $1 AND (path = $2 OR name = $2)', [clientId, filename])
        : await this.pool.query('DELETE FROM registry_files WHERE client_id = $1 AND (path = $2 OR name = $2) AND sha256 = $3', [
            clientId,
            filename,
            sha256,
          ])
    return rowCount ?? 0
  }

  async searchRegistry(search: RegistrySearch): Promise<RegistryHit[]> {
    const after = search.after
    const { rows } = await this.pool.query<HitRow>(SEARCH[search.by], [
      search.value,
      search.now,
      search.limit,
      after === undefined ? null : after.online ? 1 : 0,
      after?.email ?? null,
      after?.path ?? null,
    ])
    return rows.map(toHit)
  }

  async registryStats(): Promise<RegistryStatsRecord> {
    const { rows } = await this.pool.query<{ files: string; hashes: string; peers: string }>(
      'SELECT count(*) AS files, count(DISTINCT sha256) AS hashes, count(DISTINCT client_id) AS peers FROM registry_files',
    )
    const row = rows[0]
    return { files: Number(row?.files ?? 0), hashes: Number(row?.hashes ?? 0), peers: Number(row?.peers ?? 0) }
  }

  async registryNames(options: { limit: number; afterName?: string | undefined }): Promise<string[]> {
    const { rows } =
      options.afterName === undefined
        ? await this.pool.query<{ name: string }>('SELECT DISTINCT name FROM registry_files ORDER BY name LIMIT $1', [options.limit])
        : await this.pool.query<{ name: string }>('SELECT DISTINCT name FROM registry_files WHERE name > $1 ORDER BY name LIMIT $2', [
            options.afterName,
            options.limit,
          ])
    return rows.map((r) => r.name)
  }

  async refreshRegistryOnline(now: number, limit: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `UPDATE registry_peers p SET online_until = b.expires_at
       FROM broadcasts b
       WHERE b.client_id = p.client_id AND p.client_id IN (
         SELECT p2.client_id FROM registry_peers p2 JOIN broadcasts b2 ON b2.client_id = p2.client_id
         WHERE b2.expires_at > $1 AND b2.expires_at > p2.online_until
         LIMIT $2 FOR UPDATE OF p2 SKIP LOCKED)`,
      [now, limit],
    )
    return rowCount ?? 0
  }

  async deleteOfflineRegistryEntries(cutoff: number, now: number, limit: number): Promise<number> {
    const files = await this.pool.query(
      `DELETE FROM registry_files WHERE (client_id, path) IN (
         SELECT f.client_id, f.path FROM registry_peers p JOIN registry_files f ON f.client_id = p.client_id
         WHERE p.online_until <= $1
           AND NOT EXISTS (SELECT 1 FROM broadcasts b WHERE b.client_id = p.client_id AND b.expires_at > $2)
         LIMIT $3 FOR UPDATE OF f SKIP LOCKED)`,
      [cutoff, now, limit],
    )
    const deleted = files.rowCount ?? 0
    if (deleted >= limit) return deleted
    // SKIP LOCKED: a publisher whose row a publish holds right now (its first entries not committed
    // yet) is left alone, or the cascade would take those entries with it.
    const peers = await this.pool.query(
      `DELETE FROM registry_peers WHERE client_id IN (
         SELECT p.client_id FROM registry_peers p
         WHERE NOT EXISTS (SELECT 1 FROM registry_files f WHERE f.client_id = p.client_id)
         LIMIT $1 FOR UPDATE SKIP LOCKED)`,
      [limit - deleted],
    )
    return deleted + (peers.rowCount ?? 0)
  }

  async sharedSecret(name: string, candidate: Uint8Array, now: number): Promise<Buffer> {
    await this.pool.query('INSERT INTO tracker_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [
      name,
      Buffer.from(candidate),
      now,
    ])
    const { rows } = await this.pool.query<{ value: Buffer }>('SELECT value FROM tracker_secrets WHERE name = $1', [name])
    const value = rows[0]?.value
    if (!value) throw new Error(`the shared secret ${name} could not be stored`)
    return value
  }
}
