/**
 * Several tracker replicas on one PostgreSQL: two processes of the production bundle, any request on
 * either; one is killed mid-way and the other keeps serving everything. Plus: sweeps never delete a
 * row twice across replicas, and rate limits hold across replicas.
 */
import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { buildApp } from '../src/app.js'
import { StoreRateCounter } from '../src/plugins/rate-limit.js'
import { PostgresStore } from '../src/store/postgres/index.js'
import { as, buildBundle, https, makeIdentity, opensslIdentity, sleep, writeIdentityFiles, headerCertificateSource } from './helper.js'
import { requirePostgres, schemaUrl, testSchema, TEST_DATABASE_URL } from './pg-helper.js'

interface Replica {
  name: string
  child: ChildProcess
  url: string
  lines: Record<string, unknown>[]
  exited: Promise<number | null>
}

async function startReplica(t: Test, server: string, name: string, env: Record<string, string>): Promise<Replica> {
  const child = spawn(process.execPath, [server], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: Record<string, unknown>[] = []
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let stderr = ''
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
  let buffer = ''
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      let nl
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>
        buffer = buffer.slice(nl + 1)
        lines.push(line)
        if (line.msg === 'tracker listening') resolve(line.port as number)
      }
    })
    void exited.then((code) => reject(new Error(`replica ${name} exited with ${code}: ${stderr}`)))
  })
  return { name, child, url: `https://127.0.0.1:${port}`, lines, exited }
}

t.test('two replicas on one PostgreSQL serve any request; one dies, the other goes on', async (t) => {
  if (!(await requirePostgres(t))) return
  const { server } = await buildBundle(t)
  const dir = await mkdtemp(join(tmpdir(), 'fb-replicas-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const schema = testSchema(t)
  // Replicas behind one name share the server certificate (clients pin one fingerprint).
  const tls = writeIdentityFiles(dir, opensslIdentity('tracker.example.com', 'p256', { san: 'DNS:localhost,IP:127.0.0.1' }))
  const env = (sub: string) => ({
    DATABASE_URL: schemaUrl(schema),
    DATABASE_POOL_MAX: '4',
    RELAY_PORT: '0',
    RELAY_BIND_ADDRESS: '127.0.0.1',
    RELAY_DATA_DIR: join(dir, sub),
    RELAY_TLS_CERT: tls.cert,
    RELAY_TLS_KEY: tls.key,
    SWEEP_INTERVAL_S: '1',
    RATE_LIMIT_PER_MIN: '10000',
  })
  const [a, b] = await Promise.all([startReplica(t, server, 'A', env('a')), startReplica(t, server, 'B', env('b'))])
  t.equal(a.lines.find((l) => l.msg === 'tracker listening')?.store, 'postgres', 'replica A runs on PostgreSQL')

  const alice = await makeIdentity('alice@example.com')
  const bob = opensslIdentity('bob@example.com', 'ed25519')
  const reg = await https(a.url, { path: '/api/relay/register', identity: alice, body: { certificate: alice.certPem, email: alice.email } })
  t.equal(reg.status, 200, 'alice registers on A')
  t.equal((await https(b.url, { path: '/api/relay/register', identity: alice, body: { certificate: alice.certPem, email: alice.email } })).status, 200, 'B knows her registration at once (idempotent 200)')
  t.equal((await https(b.url, { path: '/api/relay/register', identity: bob, body: { certificate: bob.certPem, email: bob.email } })).status, 200, 'bob registers on B')
  t.equal((await https(b.url, { path: '/api/relay/broadcast/ready', identity: alice, body: { port: 4443, addresses: ['127.0.0.1'] } })).status, 200, 'alice announces on B')
  for (const r of [a, b]) {
    const res = await https(r.url, { path: '/api/relay/broadcast/lookup?email=alice@example.com', identity: bob })
    t.equal((res.json() as { port: number }).port, 4443, `lookup on ${r.name} finds her`)
    const hb = await https(r.url, { path: '/api/relay/broadcast/heartbeat', identity: alice, method: 'POST' })
    t.equal(hb.status, 200, `her heartbeat on ${r.name} succeeds`)
  }

  // 300 expired broadcasts appear: both replicas sweep every second, and together delete each once.
  const db = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await db.connect()
  t.teardown(() => db.end())
  await db.query(`SET search_path TO ${schema}`)
  await db.query(`
    WITH c AS (
      INSERT INTO clients (id, email, fingerprint, certificate_pem, registered_at)
      SELECT gen_random_uuid(), 'old' || i || '@example.com', lpad(to_hex(i), 64, '0'), 'PEM', 1 FROM generate_series(1, 300) i
      RETURNING id, email, fingerprint)
    INSERT INTO broadcasts (client_id, broadcast_id, email, fingerprint, port, addresses, capabilities, last_seen, expires_at)
    SELECT id, gen_random_uuid(), email, fingerprint, 1, '[]', '{}', 1, 2 FROM c`)
  const swept = () => [...a.lines, ...b.lines].filter((l) => l.msg === 'sweep').reduce((n, l) => n + (l.deleted as number), 0)
  for (let i = 0; i < 300 && swept() < 300; i++) await sleep(100)
  t.equal(swept(), 300, 'the replicas logged 300 deleted rows in all: every expired row was swept exactly once')
  const { rows } = await db.query('SELECT count(*)::int AS n FROM broadcasts')
  t.equal(rows[0].n, 1, "only alice's live broadcast is left")

  // A dies while requests are flowing; B serves everything.
  const traffic = (async () => {
    let ok = 0
    for (let i = 0; i < 20; i++) {
      const res = await https(b.url, { path: '/api/relay/broadcast/lookup?email=alice@example.com', identity: bob })
      if (res.status === 200) ok++
      await sleep(20)
    }
    return ok
  })()
  await sleep(100)
  a.child.kill('SIGKILL')
  await a.exited
  t.equal(await traffic, 20, 'B answered every lookup while A was killed')
  await t.rejects(https(a.url, { path: '/health' }), 'A is gone')

  const carol = opensslIdentity('carol@example.com', 'p256')
  t.equal((await https(b.url, { path: '/api/relay/register', identity: carol, body: { certificate: carol.certPem, email: carol.email } })).status, 200, 'B registers a new client')
  t.equal((await https(b.url, { path: '/api/relay/broadcast/ready', identity: carol, body: { port: 5000, addresses: ['::1'] } })).status, 200, 'B takes a ready')
  t.equal((await https(b.url, { path: '/api/relay/broadcast/heartbeat', identity: alice, method: 'POST' })).status, 200, 'B takes a heartbeat for a broadcast made through A')
  const list = await https(b.url, { path: '/api/relay/broadcast/list', identity: carol })
  t.same((list.json() as { email: string }[]).map((p) => p.email), ['alice@example.com', 'carol@example.com'], 'B lists everyone online')
  t.equal((await https(b.url, { path: '/api/relay/identity?email=alice@example.com', identity: carol })).status, 200, 'B answers identity')
  t.equal((await https(b.url, { path: '/api/relay/broadcast/offline', identity: alice, method: 'POST' })).status, 204, 'B takes an offline')
  t.match((await https(b.url, { path: '/api/relay/status' })).json(), { peers_online: 1, registered_clients: 303 }, 'B status counts from the shared database')
  t.equal((await https(b.url, { path: '/health' })).status, 200, 'B is healthy')
  b.child.kill('SIGTERM')
  t.equal(await b.exited, 0, 'B stops cleanly')
})

t.test('rate limits hold across replicas (counted in PostgreSQL)', async (t) => {
  if (!(await requirePostgres(t))) return
  const url = schemaUrl(testSchema(t))
  const replicas = await Promise.all(
    [1, 2].map(async () => {
      const store = await PostgresStore.open({ connectionString: url, poolMax: 2 })
      const app = await buildApp({ store, config: { rateLimitPerMin: 3 }, sweeper: false, clientCertificate: headerCertificateSource, rateCounter: new StoreRateCounter(store) })
      return { store, app }
    }),
  )
  t.teardown(async () => {
    for (const r of replicas) {
      await r.app.close()
      await r.store.close()
    }
  })
  const alice = await makeIdentity('alice@example.com')
  const [one, two] = replicas as [(typeof replicas)[0], (typeof replicas)[0]]
  // Keep clear of a minute boundary so all requests fall in one window.
  const second = new Date().getSeconds()
  if (second > 55) await sleep((61 - second) * 1000)
  const statuses: number[] = []
  for (const app of [one.app, two.app, one.app, two.app]) {
    statuses.push((await app.inject({ url: '/api/relay/status', headers: as(alice), remoteAddress: '192.0.2.1' })).statusCode)
  }
  t.same(statuses, [200, 200, 200, 429], 'the 4th request of the minute is refused, though the replicas took turns')
})
