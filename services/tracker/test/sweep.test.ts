/** The batched sweep of expired broadcasts, and the sweeper plugin that runs it. */
import t, { type Test } from 'tap'
import { Writable } from 'node:stream'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { pino } from 'pino'
import { deleteInBatches, sweepExpired } from '../src/sweep.js'
import { SqliteStore } from '../src/store/sqlite/index.js'
import { buildTestApp } from './helper.js'

const T0 = Date.UTC(2030, 0, 1)

/** Insert `expired` expired and `live` live broadcasts straight into SQLite (fast fixture). */
function seed(store: SqliteStore, expired: number, live: number): void {
  const client = store.db.prepare('INSERT INTO clients (id, email, fingerprint, certificate_pem, registered_at) VALUES (?, ?, ?, ?, ?)')
  const broadcast = store.db.prepare(
    `INSERT INTO broadcasts (client_id, broadcast_id, email, fingerprint, port, addresses, capabilities, last_seen, expires_at)
     VALUES (?, ?, ?, ?, 1, '[]', '{}', ?, ?)`,
  )
  store.db.transaction(() => {
    for (let i = 0; i < expired + live; i++) {
      const id = randomUUID()
      const email = `u${i}@example.com`
      const fp = i.toString(16).padStart(64, '0')
      client.run(id, email, fp, 'PEM', T0)
      broadcast.run(id, randomUUID(), email, fp, T0, i < expired ? T0 + 1000 : T0 + 1_000_000)
    }
  })()
}

async function tempStore(t: Test): Promise<SqliteStore> {
  const dir = await mkdtemp(join(tmpdir(), 'fb-sweep-'))
  const store = new SqliteStore({ path: join(dir, 'tracker.db') })
  t.teardown(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  return store
}

t.test('sweepExpired deletes every expired row in bounded batches and nothing else', async (t) => {
  const store = await tempStore(t)
  seed(store, 25_000, 500)
  const sizes: number[] = []
  const result = await sweepExpired(store, { now: T0 + 1000, batchSize: 1000, maxBatchSize: 4000, onBatch: (b) => sizes.push(b.size) })
  t.equal(result.ran, true, 'the sweep ran')
  t.equal(result.deleted, 25_000, 'every expired broadcast was deleted')
  t.ok(result.batches > 1, `it took several batches (${result.batches})`)
  t.ok(sizes.every((s) => s >= 100 && s <= 4000), 'no batch exceeded the size bounds')
  t.equal(await store.countOnline(T0 + 1000), 500, 'live broadcasts are untouched')
  t.equal((store.db.prepare('SELECT count(*) AS n FROM broadcasts').get() as { n: number }).n, 500, 'only live rows remain')
  t.equal(await store.countClients(), 25_500, 'registrations are never swept')
  const again = await sweepExpired(store, { now: T0 + 1000 })
  t.same([again.deleted, again.batches], [0, 1], 'a second sweep finds nothing, in one look')
})

t.test('the batch size adapts to how long batches take', async (t) => {
  const sizes: number[] = []
  const busy = (ms: number) => {
    const end = performance.now() + ms
    while (performance.now() < end);
  }
  let remaining = 8_000
  // Slow batches (30 ms against an 8 ms target) must shrink the batch size…
  await deleteInBatches(
    async (limit) => {
      sizes.push(limit)
      busy(30)
      const n = Math.min(limit, remaining)
      remaining -= n
      return n
    },
    { batchSize: 4000, targetBatchMs: 8, minBatchSize: 250 },
  ).catch(() => undefined)
  t.same(sizes.slice(0, 5), [4000, 2000, 1000, 500, 250], 'slow batches halve the size down to the minimum')
  // …and instant ones grow it, up to the maximum.
  const grown: number[] = []
  remaining = 100_000
  await deleteInBatches(
    async (limit) => {
      grown.push(limit)
      const n = Math.min(limit, remaining)
      remaining -= n
      return n
    },
    { batchSize: 1000, targetBatchMs: 1000, maxBatchSize: 3000 },
  )
  t.same(grown.slice(0, 4), [1000, 1500, 2250, 3000], 'fast batches grow by half up to the maximum')
})

t.test('the event loop turns between batches; an abort stops the sweep', async (t) => {
  // Work queued while a batch runs (here: an immediate) must run before the next batch starts.
  const controller = new AbortController()
  const ranBeforeNext: boolean[] = []
  let queuedRan = false
  const result = await deleteInBatches(
    async (limit) => {
      ranBeforeNext.push(queuedRan)
      queuedRan = false
      setImmediate(() => (queuedRan = true))
      if (ranBeforeNext.length === 5) controller.abort()
      return limit
    },
    { batchSize: 100, signal: controller.signal },
  )
  t.equal(result.batches, 5, 'the sweep stopped after the batch during which it was aborted')
  t.same(ranBeforeNext, [false, true, true, true, true], 'before every batch but the first, the work queued during the previous one had run')
})

t.test('sweepExpired does nothing while another sweep holds the lock', async (t) => {
  const store = await tempStore(t)
  seed(store, 10, 0)
  let release!: () => void
  const holder = store.runExclusive('sweep', () => new Promise<void>((r) => (release = r)))
  const skipped = await sweepExpired(store, { now: T0 + 1000 })
  t.same(skipped, { ran: false, deleted: 0, batches: 0, durationMs: 0, longestBatchMs: 0 }, 'a second sweeper stands aside')
  release()
  await holder
  t.equal((await sweepExpired(store, { now: T0 + 1000 })).deleted, 10, 'once free, the sweep runs')
})

t.test('the sweeper plugin logs what it deleted and runs on its interval', async (t) => {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line))
      done()
    },
  })
  const { app, store, clock } = await buildTestApp(t, { sweeper: true, config: { sweepIntervalS: 1 }, logger: pino({ level: 'info' }, sink) })
  seed(store, 30, 3)
  clock.now = T0 + 1000
  const result = await app.sweeper.runOnce(T0 + 1000)
  t.equal(result.deleted, 30, 'runOnce swept the expired rows')
  const sweepLine = lines.find((l) => l.msg === 'sweep')
  t.ok(sweepLine, 'a "sweep" line was logged')
  t.equal(sweepLine?.deleted, 30, 'carrying the count of deleted rows')
  lines.length = 0
  await app.sweeper.runOnce(T0 + 1000)
  t.notOk(lines.some((l) => l.msg === 'sweep'), 'an empty sweep logs nothing')

  let ran = 0
  app.sweeper.addTask({ name: 'extra', run: async () => ++ran })
  seed2(store)
  const deadline = Date.now() + 15_000
  while ((await store.countOnline(0)) > 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  t.equal((store.db.prepare('SELECT count(*) AS n FROM broadcasts').get() as { n: number }).n, 3, 'the interval timer swept new expired rows by itself')
  t.ok(ran >= 1, 'tasks added by later features run with the sweep')
  t.ok(lines.some((l) => l.msg === 'sweep task' && l.task === 'extra'), 'and their deletions are logged under their name')
})

t.test('the sweeper deletes 20,000 expired broadcasts in batches, keeps the live ones, logs the count, and timers run meanwhile', async (t) => {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line))
      done()
    },
  })
  const { app, store } = await buildTestApp(t, { sweeper: true, logger: pino({ level: 'info' }, sink) })
  seed(store, 20_000, 300)
  let finished = false
  let timerFiredDuringSweep: boolean | undefined
  const sweeping = app.sweeper.runOnce(T0 + 1000)
  // A timer due as soon as possible: it runs before the sweep ends only if the sweep lets the loop turn.
  setTimeout(() => (timerFiredDuringSweep = !finished), 0)
  const result = await sweeping
  finished = true
  t.equal(result.deleted, 20_000, 'every expired broadcast was deleted')
  t.ok(result.batches > 1, `in several batches (${result.batches})`)
  t.equal(timerFiredDuringSweep, true, 'a timer set when the sweep started fired before it ended')
  t.equal(await store.countOnline(T0 + 1000), 300, 'the live broadcasts are all there')
  t.equal((store.db.prepare('SELECT count(*) AS n FROM broadcasts').get() as { n: number }).n, 300, 'and nothing else is')
  const sweepLine = lines.find((l) => l.msg === 'sweep')
  t.equal(sweepLine?.deleted, 20_000, 'one "sweep" line carries the count')
  t.equal(sweepLine?.batches, result.batches, 'and the number of batches')
  t.equal(store.checkpointError, undefined, 'the checkpointer thread reported no error')
})

/** Rows that expired long ago (the timer sweeps at the real time). */
function seed2(store: SqliteStore): void {
  const client = store.db.prepare('INSERT INTO clients (id, email, fingerprint, certificate_pem, registered_at) VALUES (?, ?, ?, ?, ?)')
  const broadcast = store.db.prepare(
    `INSERT INTO broadcasts (client_id, broadcast_id, email, fingerprint, port, addresses, capabilities, last_seen, expires_at)
     VALUES (?, ?, ?, ?, 1, '[]', '{}', 0, 1)`,
  )
  for (let i = 0; i < 7; i++) {
    const id = randomUUID()
    client.run(id, `old${i}@example.com`, `f${i}`.padStart(64, '0'), 'PEM', 0)
    broadcast.run(id, randomUUID(), `old${i}@example.com`, `f${i}`.padStart(64, '0'))
  }
}
