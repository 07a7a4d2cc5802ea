import t from 'tap'
import { PostgresStore, parseDatabaseUrl } from '../../src/store/postgres/index.js'
import { postgresMigrations } from '../../src/store/postgres/migrations.js'
import { sweepExpired } from '../../src/sweep.js'
import type { TrackerStore } from '../../src/store/types.js'
import { dropSchema, randomSchema, requirePostgres, schemaUrl, testSchema } from '../pg-helper.js'
import { storeSuite, type StoreUnderTest } from './store-suite.js'

t.test('parseDatabaseUrl takes the schema parameter off', async (t) => {
  t.same(parseDatabaseUrl('postgres://u:p@127.0.0.1:5432/db?schema=s1&sslmode=disable'), {
    connectionString: 'postgres://u:p@127.0.0.1:5432/db?sslmode=disable',
    schema: 's1',
  }, 'the schema is split off, other parameters stay')
  t.equal(parseDatabaseUrl('postgres://127.0.0.1/db').schema, undefined, 'no schema parameter, no schema')
})

t.test('PostgreSQL store', async (t) => {
  if (!(await requirePostgres(t))) return
  // One schema per test of the suite: the factory is called once per subtest.
  const factory = async (): Promise<StoreUnderTest> => {
    const schema = randomSchema()
    const url = schemaUrl(schema)
    let current: TrackerStore = await PostgresStore.open({ connectionString: url, poolMax: 4 })
    return {
      get store() {
        return current
      },
      reopen: async () => {
        await current.close()
        current = await PostgresStore.open({ connectionString: url, poolMax: 4 })
        return current
      },
      cleanup: async () => {
        await current.close()
        await dropSchema(schema)
      },
    }
  }
  storeSuite(t, factory)
})

t.test('PostgreSQL specifics', async (t) => {
  if (!(await requirePostgres(t))) return

  t.test('replicas starting together migrate once', async (t) => {
    const url = schemaUrl(testSchema(t))
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open({ connectionString: url, poolMax: 2 })))
    t.teardown(() => Promise.all(stores.map((s) => s.close())))
    const { rows } = await stores[0]!.pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
    t.same(rows.map((r) => r.version), postgresMigrations.map((m) => m.version), 'each migration is recorded exactly once')
    const extra = [...postgresMigrations, { version: 99, name: 'extra', up: 'CREATE TABLE extra (x integer)' }]
    t.same(await stores[1]!.migrate(extra), [99], 'an appended migration is applied')
    t.same(await stores[2]!.migrate(extra), [], 'by one replica only')
    await t.rejects(stores[3]!.migrate(postgresMigrations), /newer than this tracker knows/, 'an older tracker refuses a newer schema')
    const broken = [...extra, { version: 100, name: 'broken', up: 'CREATE TABLE extra2 (x integer); SELECT nonsense_fn()' }]
    await t.rejects(stores[1]!.migrate(broken), /nonsense_fn/, 'a failing migration fails the start')
    const { rows: after } = await stores[0]!.pool.query("SELECT to_regclass('extra2') AS t")
    t.equal(after[0].t, null, 'and leaves nothing half-done (its transaction rolled back)')
  })

  t.test('one sweeper at a time across replicas (advisory lock)', async (t) => {
    const url = schemaUrl(testSchema(t))
    const a = await PostgresStore.open({ connectionString: url, poolMax: 2 })
    const b = await PostgresStore.open({ connectionString: url, poolMax: 2 })
    t.teardown(async () => {
      await a.close()
      await b.close()
    })
    let release!: () => void
    const held = a.runExclusive('sweep', () => new Promise<void>((r) => (release = r)))
    await new Promise((r) => setTimeout(r, 100))
    t.same(await b.runExclusive('sweep', async () => 'b'), { ran: false }, 'the other replica cannot take the sweep lock while it is held')
    t.same((await sweepExpired(b, { now: Date.now() })).ran, false, 'so its sweep stands aside')
    t.same(await b.runExclusive('other', async () => 'b'), { ran: true, value: 'b' }, 'other names are free')
    release()
    await held
    t.same(await b.runExclusive('sweep', async () => 'b'), { ran: true, value: 'b' }, 'once released, the other replica may sweep')

    // Two sweepers racing on the same expired rows (as if the lock were lost): each row is deleted once.
    for (let i = 0; i < 400; i++) {
      const r = await a.registerClient({ email: `s${i}@example.com`, fingerprint: i.toString(16).padStart(64, '0'), certificatePem: 'P', now: 1 })
      if (r.outcome !== 'created') throw new Error('setup')
      await a.upsertBroadcast({ clientId: r.client.id, email: r.client.email, fingerprint: r.client.fingerprint, port: 1, addresses: ['::1'], capabilities: {}, now: 1, expiresAt: 2 })
    }
    const counts = await Promise.all([
      (async () => { let n = 0, d; while ((d = await a.deleteExpiredBroadcasts(10, 25)) > 0) n += d; return n })(),
      (async () => { let n = 0, d; while ((d = await b.deleteExpiredBroadcasts(10, 25)) > 0) n += d; return n })(),
    ])
    t.equal(counts[0] + counts[1], 400, `racing sweepers deleted 400 rows in total (${counts.join(' + ')}), none twice`)
  })

  t.test('the lock connection is separate from the pool', async (t) => {
    const url = schemaUrl(testSchema(t))
    const store = await PostgresStore.open({ connectionString: url, poolMax: 1 })
    t.teardown(() => store.close())
    const result = await store.runExclusive('sweep', async () => (await store.countClients()) + 1)
    t.same(result, { ran: true, value: 1 }, 'with a pool of one, a task under the lock still gets a connection')
  })
})
