import t, { type Test } from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { WriteBatcher } from '../../src/store/sqlite/write-batcher.js'

async function setup(t: Test) {
  const dir = await mkdtemp(join(tmpdir(), 'fb-batch-'))
  const db = new Database(join(dir, 'b.db'))
  db.pragma('journal_mode = WAL')
  db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0))')
  t.teardown(async () => {
    db.close()
    await rm(dir, { recursive: true, force: true })
  })
  const put = db.prepare('INSERT INTO kv VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v RETURNING v')
  const count = () => (db.prepare('SELECT count(*) AS n FROM kv').get() as { n: number }).n
  return { db, put, count }
}

t.test('writes of one event-loop turn commit together, and each caller gets its own result', async (t) => {
  const { db, put, count } = await setup(t)
  const batcher = new WriteBatcher(db)
  const writes = Array.from({ length: 20 }, (_, i) => batcher.enqueue(() => (put.get(`k${i}`, i) as { v: number }).v))
  t.equal(count(), 0, 'nothing is written before the turn ends')
  t.same(await Promise.all(writes), Array.from({ length: 20 }, (_, i) => i), 'every write resolves with its own value')
  t.equal(count(), 20, 'all rows are there once the writes resolved')
  t.same(batcher.stats, { batches: 1, writes: 20, largest: 20 }, 'one transaction for the twenty')
  await batcher.enqueue(() => put.get('alone', 1))
  t.equal(batcher.stats.batches, 2, 'a write alone in its turn is a batch of one')
})

t.test('a failing write fails alone: the rest of its batch commits', async (t) => {
  const { db, put, count } = await setup(t)
  const batcher = new WriteBatcher(db)
  const good1 = batcher.enqueue(() => put.get('a', 1))
  const bad = batcher.enqueue(() => put.get('b', -1))
  const good2 = batcher.enqueue(() => put.get('c', 3))
  await t.rejects(bad, /CHECK constraint failed/, 'the constraint violation reaches its caller')
  await good1
  await good2
  t.equal(count(), 2, 'the two good rows were committed')
  t.notOk((db.prepare("SELECT 1 FROM kv WHERE k = 'b'").get()), 'the bad one left nothing behind')
})

t.test('flush() runs the queue at once (the store flushes before it closes)', async (t) => {
  const { db, put, count } = await setup(t)
  const batcher = new WriteBatcher(db)
  const write = batcher.enqueue(() => put.get('x', 1))
  batcher.flush()
  t.equal(count(), 1, 'written synchronously by flush')
  await write
  batcher.flush()
  t.equal(batcher.stats.batches, 1, 'an empty flush is a no-op')
})
