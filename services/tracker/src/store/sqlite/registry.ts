/**
 * The file registry on SQLite: registry_peers (one row per publishing identity, with the last moment
 * it was known to be online) and registry_files (one row per published path). "Online" is never
 * stored: it is the existence of a live broadcast, read at query time.
 *
 * Name searches are substring matches (instr) over a lower-cased copy of the name: a scan of the
 * table, bounded by REGISTRY_MAX_FILES_PER_PEER × publishers. Hash and exact-name searches use indexes.
 */
import type Database from 'better-sqlite3'
import type {
  RegistryHit,
  RegistryPublishInput,
  RegistryPublishResult,
  RegistrySearch,
  RegistryStatsRecord,
  RegistryStore,
} from '../types.js'

/** Appended to the SQLite migrations list (version 2). */
export const SQLITE_REGISTRY_MIGRATION = `
  CREATE TABLE registry_peers (
    client_id TEXT PRIMARY KEY REFERENCES clients(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    -- The last moment the publisher was known to be online: its latest write, or the expiry of its
    -- latest broadcast seen by the sweep. Offline retention counts from here.
    online_until INTEGER NOT NULL
  );
  CREATE INDEX registry_peers_online_until ON registry_peers (online_until);
  CREATE TABLE registry_files (
    client_id TEXT NOT NULL REFERENCES registry_peers(client_id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, path)
  );
  CREATE INDEX registry_files_sha256 ON registry_files (sha256);
  CREATE INDEX registry_files_name ON registry_files (name);
  CREATE TABLE tracker_secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    created_at INTEGER NOT NULL
  );
`

interface HitRow {
  email: string
  fingerprint: string
  path: string
  name: string
  sha256: string
  size: number
  online: number
}

const toHit = (row: HitRow): RegistryHit => ({
  email: row.email,
  fingerprint: row.fingerprint,
  path: row.path,
  name: row.name,
  sha256: row.sha256,
  size: row.size,
  online: row.online === 1,
})

/** The search statement for one kind of match; the keyset condition and order are the same for all. */
function searchSql(match: string): string {
  return `
    SELECT * FROM (
      SELECT p.email, p.fingerprint, f.path, f.name, f.sha256, f.size,
        CASE WHEN EXISTS (SELECT 1 FROM broadcasts b WHERE b.client_id = f.client_id AND b.expires_at > @now) THEN 1 ELSE 0 END AS online
      FROM registry_files f JOIN registry_peers p ON p.client_id = f.client_id
      WHERE ${match}
    ) AS h
    WHERE @afterOnline IS NULL
      OR h.online < @afterOnline
      OR (h.online = @afterOnline AND (h.email > @afterEmail OR (h.email = @afterEmail AND h.path > @afterPath)))
    ORDER BY h.online DESC, h.email, h.path
    LIMIT @limit`
}

export class SqliteRegistry implements RegistryStore {
  private readonly stmt

  constructor(private readonly db: Database.Database) {
    this.stmt = {
      upsertPeer: db.prepare(`
        INSERT INTO registry_peers (client_id, email, fingerprint, online_until) VALUES (?, ?, ?, ?)
        ON CONFLICT (client_id) DO UPDATE SET online_until = max(registry_peers.online_until, excluded.online_until)`),
      upsertFile: db.prepare(`
        INSERT INTO registry_files (client_id, path, name, name_lower, sha256, size, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (client_id, path) DO UPDATE SET
          name = excluded.name, name_lower = excluded.name_lower, sha256 = excluded.sha256,
          size = excluded.size, updated_at = excluded.updated_at`),
      countFiles: db.prepare('SELECT count(*) AS n FROM registry_files WHERE client_id = ?'),
      deleteFile: db.prepare('DELETE FROM registry_files WHERE client_id = ? AND path = ?'),
      deleteAllFiles: db.prepare('DELETE FROM registry_files WHERE client_id = ?'),
      deletePeer: db.prepare('DELETE FROM registry_peers WHERE client_id = ?'),
      deleteByName: db.prepare('DELETE FROM registry_files WHERE client_id = ? AND (path = ? OR name = ?)'),
      deleteByNameAndHash: db.prepare('DELETE FROM registry_files WHERE client_id = ? AND (path = ? OR name = ?) AND sha256 = ?'),
      searchName: db.prepare(searchSql('instr(f.name_lower, @value) > 0')),
      searchExactName: db.prepare(searchSql('f.name = @value')),
      searchSha256: db.prepare(searchSql('f.sha256 = @value')),
      stats: db.prepare('SELECT count(*) AS files, count(DISTINCT sha256) AS hashes, count(DISTINCT client_id) AS peers FROM registry_files'),
      namesFirst: db.prepare('SELECT DISTINCT name FROM registry_files ORDER BY name LIMIT ?'),
      namesAfter: db.prepare('SELECT DISTINCT name FROM registry_files WHERE name > ? ORDER BY name LIMIT ?'),
      refreshOnline: db.prepare(`
        UPDATE registry_peers SET online_until = (SELECT b.expires_at FROM broadcasts b WHERE b.client_id = registry_peers.client_id)
        WHERE client_id IN (
          SELECT p.client_id FROM registry_peers p JOIN broadcasts b ON b.client_id = p.client_id
          WHERE b.expires_at > ? AND b.expires_at > p.online_until LIMIT ?)`),
      deleteOfflineFiles: db.prepare(`
        DELETE FROM registry_files WHERE rowid IN (
          SELECT f.rowid FROM registry_peers p JOIN registry_files f ON f.client_id = p.client_id
          WHERE p.online_until <= @cutoff
            AND NOT EXISTS (SELECT 1 FROM broadcasts b WHERE b.client_id = p.client_id AND b.expires_at > @now)
          LIMIT @limit)`),
      deleteEmptyPeers: db.prepare(`
        DELETE FROM registry_peers WHERE client_id IN (
          SELECT p.client_id FROM registry_peers p
          WHERE NOT EXISTS (SELECT 1 FROM registry_files f WHERE f.client_id = p.client_id) LIMIT ?)`),
      insertSecret: db.prepare('INSERT INTO tracker_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING'),
      secret: db.prepare('SELECT value FROM tracker_secrets WHERE name = ?'),
    }
  }

  async publishFiles(input: RegistryPublishInput): Promise<RegistryPublishResult> {
    const { client, files, now } = input
    const publish = this.db.transaction((): RegistryPublishResult => {
      this.stmt.upsertPeer.run(client.id, client.email, client.fingerprint, now)
      for (const f of files) {
        this.stmt.upsertFile.run(client.id, f.path, f.name, f.name.toLowerCase(), f.sha256, f.size, now)
      }
      const total = (this.stmt.countFiles.get(client.id) as { n: number }).n
      // Over the quota: undo everything this request did (the throw rolls the transaction back).
      if (total > input.maxFiles) throw new QuotaExceeded(total)
      return { outcome: 'stored', stored: files.length, total }
    })
    try {
      return publish.immediate()
    } catch (err) {
      if (err instanceof QuotaExceeded) return { outcome: 'quota_exceeded', total: err.total }
      throw err
    }
  }

  async unpublishFiles(clientId: string, paths: readonly string[]): Promise<number> {
    const remove = this.db.transaction(() => {
      let n = 0
      for (const path of paths) n += this.stmt.deleteFile.run(clientId, path).changes
      return n
    })
    return remove.immediate()
  }

  async unpublishAll(clientId: string): Promise<number> {
    const remove = this.db.transaction(() => {
      const n = this.stmt.deleteAllFiles.run(clientId).changes
      this.stmt.deletePeer.run(clientId)
      return n
    })
    return remove.immediate()
  }

  async unpublishByName(clientId: string, filename: string, sha256?: string): Promise<number> {
    return (
      sha256 === undefined
        ? this.stmt.deleteByName.run(clientId, filename, filename)
        : this.stmt.deleteByNameAndHash.run(clientId, filename, filename, sha256)
    ).changes
  }

  async searchRegistry(search: RegistrySearch): Promise<RegistryHit[]> {
    const statement =
      search.by === 'name' ? this.stmt.searchName : search.by === 'exact_name' ? this.stmt.searchExactName : this.stmt.searchSha256
    const rows = statement.all({
      value: search.value,
      now: search.now,
      limit: search.limit,
      afterOnline: search.after === undefined ? null : search.after.online ? 1 : 0,
      afterEmail: search.after?.email ?? null,
      afterPath: search.after?.path ?? null,
    }) as HitRow[]
    return rows.map(toHit)
  }

  async registryStats(): Promise<RegistryStatsRecord> {
    return this.stmt.stats.get() as RegistryStatsRecord
  }

  async registryNames(options: { limit: number; afterName?: string | undefined }): Promise<string[]> {
    const rows = (
      options.afterName === undefined ? this.stmt.namesFirst.all(options.limit) : this.stmt.namesAfter.all(options.afterName, options.limit)
    ) as { name: string }[]
    return rows.map((r) => r.name)
  }

  async refreshRegistryOnline(now: number, limit: number): Promise<number> {
    return this.stmt.refreshOnline.run(now, limit).changes
  }

  async deleteOfflineRegistryEntries(cutoff: number, now: number, limit: number): Promise<number> {
    const files = this.stmt.deleteOfflineFiles.run({ cutoff, now, limit }).changes
    if (files >= limit) return files
    return files + this.stmt.deleteEmptyPeers.run(limit - files).changes
  }

  async sharedSecret(name: string, candidate: Uint8Array, now: number): Promise<Buffer> {
    this.stmt.insertSecret.run(name, Buffer.from(candidate), now)
    return (this.stmt.secret.get(name) as { value: Buffer }).value
  }
}

class QuotaExceeded extends Error {
  constructor(readonly total: number) {
    super(`registry quota exceeded (${total})`)
  }
}
