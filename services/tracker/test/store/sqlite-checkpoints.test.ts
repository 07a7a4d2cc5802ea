/** The SQLite store's WAL checkpointer thread, and the pause bulk deletes take for it. */
import t, { type Test } from 'tap'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Checkpointer } from '../../src/store/sqlite/checkpointer.js'
import { migrateSqlite } from '../../src/store/sqlite/index.js'
import { SqliteSweep } from '../../src/store/sqlite/sweep.js'

async function walDatabase(t: Test): Promise<{ db: Database.Database; path: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'fb-ckpt-'))
  const path = join(dir, 'tracker.db')
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  migrateSqlite(db)
  db.exec('CREATE TABLE filler (x BLOB)')
  t.teardown(async () => {
    if (db.open) db.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { db, path }
}

/** About `pages` pages of new rows in one transaction (each row takes most of a 4 KiB page). */
function write(db: Database.Database, pages: number): void {
  const insert = db.prepare('INSERT INTO filler (x) VALUES (randomblob(3000))')
  db.transaction(() => {
    for (let i = 0; i < pages; i++) insert.run()
  })()
}

t.test('while the checkpointer thread runs the main connection never checkpoints; if the thread dies, it does again', async (t) => {
  const { db, path } = await walDatabase(t)
  const checkpointer = new Checkpointer({ db, path, intervalMs: 3_600_000 })
  t.teardown(() => checkpointer.close())
  t.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0, 'no checkpoints after commits on the main connection')
  write(db, 50)
  const result = await checkpointer.checkpoint()
  t.equal(result.busy, 0, 'a checkpoint on request ran')
  t.ok(result.log >= 50 && result.checkpointed === result.log, `and copied the whole WAL (${result.checkpointed} of ${result.log} frames)`)

  // The worker is private: reach it only to kill it, as a crash would.
  const worker = checkpointer['worker']
  if (!worker) throw new Error('no worker')
  const exited = once(worker, 'exit')
  await worker.terminate()
  await exited
  t.equal(checkpointer.alive, false, 'the store knows the thread is gone')
  t.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000, "the main connection is back to SQLite's automatic checkpoints")
  await t.rejects(checkpointer.checkpoint(), /not running/, 'asking for a checkpoint fails instead of hanging')
})

t.test('a bulk delete waits for a checkpoint once the WAL is large, and the WAL then starts over', async (t) => {
  const { db, path } = await walDatabase(t)
  // No timer checkpoints during the test: only the ones settle() asks for.
  const sweep = new SqliteSweep(db, { path, checkpointIntervalMs: 3_600_000, walHighFrames: 200 })
  t.teardown(() => sweep.close())
  const checkpointer = sweep.checkpointer
  if (!checkpointer) throw new Error('no checkpointer')
  let asked = 0
  const checkpoint = checkpointer.checkpoint.bind(checkpointer)
  checkpointer.checkpoint = () => {
    asked++
    return checkpoint()
  }

  write(db, 20)
  const small = sweep.walFrames()
  t.ok(small !== undefined && small >= 20 && small < 200, `the WAL's size is read from its index (${small} frames)`)
  await sweep.settle()
  t.equal(asked, 0, 'a small WAL: the next batch goes on at once')

  write(db, 300)
  const large = sweep.walFrames() ?? 0
  t.ok(large >= 300, `after a big write the WAL holds ${large} frames`)
  await sweep.settle()
  t.equal(asked, 1, 'a large WAL: the bulk delete waited for a checkpoint')
  write(db, 1)
  const after = sweep.walFrames() ?? Infinity
  t.ok(after < 20, `the next write started the WAL over (${after} frames)`)
  t.equal((db.prepare('SELECT count(*) AS n FROM filler').get() as { n: number }).n, 321, 'and every row is there')
})

t.test('without a checkpointer thread (in memory, or turned off) bulk deletes never wait', async (t) => {
  const { db, path } = await walDatabase(t)
  const off = new SqliteSweep(db, { path, checkpointIntervalMs: 0, walHighFrames: 1 })
  t.equal(off.checkpointer, undefined, 'no thread when the interval is 0')
  write(db, 10)
  await off.settle()
  t.pass('settle() returned at once')
  await off.close()
  const memory = new Database(':memory:')
  migrateSqlite(memory)
  const inMemory = new SqliteSweep(memory, { path: ':memory:', checkpointIntervalMs: 250 })
  t.equal(inMemory.checkpointer, undefined, 'no thread for an in-memory database')
  await inMemory.settle()
  await inMemory.close()
  memory.close()
})
