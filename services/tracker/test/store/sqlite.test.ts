import t from 'tap'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrateSqlite, SqliteStore } from '../../src/store/sqlite/index.js'
import { sqliteMigrations } from '../../src/store/sqlite/migrations.js'
import type { TrackerStore } from '../../src/store/types.js'
import { storeSuite, type StoreUnderTest } from './store-suite.js'

async function freshSqlite(): Promise<StoreUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), 'fb-sqlite-'))
  const path = join(dir, 'tracker.db')
  let current: TrackerStore = new SqliteStore({ path })
  return {
    get store() {
      return current
    },
    reopen: async () => {
      await current.close()
      current = new SqliteStore({ path })
      return current
    },
    cleanup: async () => {
      await current.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

t.test('SQLite store', async (t) => storeSuite(t, freshSqlite))

t.test('SQLite specifics', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fb-sqlite-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, 'nested', 'tracker.db')
  const store = new SqliteStore({ path })
  t.equal(store.db.pragma('journal_mode', { simple: true }), 'wal', 'the journal is in WAL mode')
  t.equal(store.db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are enforced')
  const versions = (store.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version)
  t.same(versions, sqliteMigrations.map((m) => m.version), 'every migration is recorded')
  t.same(migrateSqlite(store.db), [], 'migrating again applies nothing')
  const dirMode = (await stat(join(dir, 'nested'))).mode & 0o777
  t.equal(dirMode & 0o077, 0, 'a data folder it creates is private to its owner')

  // A later migration appended to the list is applied once, in order.
  const extra = [...sqliteMigrations, { version: 99, name: 'test table', up: 'CREATE TABLE extra (x INTEGER)' }]
  t.same(migrateSqlite(store.db, extra), [99], 'an appended migration is applied')
  t.same(migrateSqlite(store.db, extra), [], 'only once')
  t.throws(() => migrateSqlite(store.db, sqliteMigrations), /newer than this tracker knows/, 'an older tracker refuses a newer schema')
  await store.close()
  await store.close()
  t.pass('closing twice is harmless')
})

t.test('a worker thread checkpoints the WAL, not the main thread', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fb-sqlite-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, 'tracker.db')
  const store = new SqliteStore({ path, checkpointIntervalMs: 50 })
  t.equal(store.db.pragma('wal_autocheckpoint', { simple: true }), 0, 'the main connection does not checkpoint after its commits')
  const before = (await stat(path)).size
  for (let i = 0; i < 300; i++) {
    await store.registerClient({ email: `c${i}@example.com`, fingerprint: i.toString(16).padStart(64, '0'), certificatePem: 'x'.repeat(500), now: 1 })
  }
  const deadline = Date.now() + 10_000
  while ((await stat(path)).size <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  t.ok((await stat(path)).size > before, 'pages reached the database file without a checkpoint on the main connection')
  t.equal(store.checkpointError, undefined, 'the checkpointer reported no error')
  await store.close()
  const reopened = new SqliteStore({ path, checkpointIntervalMs: 0 })
  t.equal(await reopened.countClients(), 300, 'everything written is there after close and reopen')
  await reopened.close()
})
