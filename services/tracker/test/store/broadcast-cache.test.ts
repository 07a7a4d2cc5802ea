import t, { type Test } from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { BroadcastCache } from '../../src/store/sqlite/broadcast-cache.js'
import type { BroadcastRecord } from '../../src/store/types.js'

function record(email: string, expiresAt: number, port = 1000): BroadcastRecord {
  return { broadcastId: `b-${email}`, clientId: `c-${email}`, email, fingerprint: 'f'.repeat(64), port, addresses: ['192.0.2.1'], capabilities: {}, lastSeen: 0, expiresAt }
}

async function setup(t: Test) {
  const dir = await mkdtemp(join(tmpdir(), 'fb-cache-'))
  const path = join(dir, 'c.db')
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.exec('CREATE TABLE b (email TEXT PRIMARY KEY, port INTEGER, expires_at INTEGER)')
  const rows = db.prepare('SELECT * FROM b WHERE email = ?')
  let loads = 0
  const load = (email: string) => () => {
    loads++
    const row = rows.get(email) as { email: string; port: number; expires_at: number } | undefined
    return row && record(row.email, row.expires_at, row.port)
  }
  t.teardown(async () => {
    db.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { db, path, load, loads: () => loads }
}

t.test('reads are served from memory until something changes the database', async (t) => {
  const { db, load, loads } = await setup(t)
  const cache = new BroadcastCache(db)
  db.prepare('INSERT INTO b VALUES (?, ?, ?)').run('a@x', 1, 5000)
  t.equal(cache.read('a@x', 1000, load('a@x'))?.port, 1, 'first read loads the row')
  t.equal(cache.read('a@x', 1000, load('a@x'))?.port, 1, 'second read answers the same')
  t.equal(loads(), 1, 'the table was read once')
  t.equal(cache.read('nobody@x', 1000, load('nobody@x')), undefined, 'an absent e-mail is absent')
  t.equal(cache.read('nobody@x', 1000, load('nobody@x')), undefined, 'and stays absent')
  t.equal(loads(), 2, 'absence is remembered too')
  t.equal(cache.read('a@x', 6000, load('a@x')), undefined, 'an entry past its expiry is never returned')
})

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

t.test("another connection's commits are seen from the next turn of the event loop", async (t) => {
  const { db, path, load } = await setup(t)
  const cache = new BroadcastCache(db)
  db.prepare('INSERT INTO b VALUES (?, ?, ?)').run('a@x', 1, 5000)
  t.equal(cache.read('a@x', 0, load('a@x'))?.port, 1)
  const other = new Database(path)
  t.teardown(() => other.close())
  other.prepare('UPDATE b SET port = 3').run()
  await nextTurn()
  t.equal(cache.read('a@x', 0, load('a@x'))?.port, 3, 'an update elsewhere is seen (data_version moved)')
  other.prepare('DELETE FROM b').run()
  await nextTurn()
  t.equal(cache.read('a@x', 0, load('a@x')), undefined, 'a delete elsewhere is seen')
  other.prepare('INSERT INTO b VALUES (?, ?, ?)').run('a@x', 4, 5000)
  await nextTurn()
  t.equal(cache.read('a@x', 0, load('a@x'))?.port, 4, 'a cached absence ends when the row appears elsewhere')
  other.prepare('UPDATE b SET port = 5').run()
  const written = cache.write(() => db.prepare("INSERT INTO b VALUES ('z@x', 1, 5000)").run(), () => ['z@x', record('z@x', 5000, 1)])
  t.ok(written, 'a write in the same turn as a foreign commit…')
  t.equal(cache.read('a@x', 0, load('a@x'))?.port, 5, '…notices the commit and drops what it knew')
  db.prepare('UPDATE b SET port = 6').run()
  cache.clear()
  t.equal(cache.read('a@x', 0, load('a@x'))?.port, 6, 'a direct write on the same connection is seen after clear()')
})

t.test("the store's own writes update the entry without dropping the others", async (t) => {
  const { db, load, loads } = await setup(t)
  const cache = new BroadcastCache(db)
  const insert = db.prepare('INSERT OR REPLACE INTO b VALUES (?, ?, ?)')
  insert.run('a@x', 1, 5000)
  insert.run('b@x', 1, 5000)
  cache.read('a@x', 0, load('a@x'))
  cache.read('b@x', 0, load('b@x'))
  const before = loads()
  cache.write(() => insert.run('a@x', 7, 5000), () => ['a@x', record('a@x', 5000, 7)])
  t.equal(cache.read('a@x', 0, load('a@x'))?.port, 7, 'the written row is what a read returns')
  t.equal(cache.read('b@x', 0, load('b@x'))?.port, 1, 'the other entry survived')
  t.equal(loads(), before, 'neither needed the table')
  cache.write(() => db.prepare('DELETE FROM b WHERE email = ?').run('a@x'), () => ['a@x', null])
  t.equal(cache.read('a@x', 0, load('a@x')), undefined, 'a deletion is remembered as absence')
  t.equal(loads(), before, 'without reading the table')
  cache.write(() => db.prepare('UPDATE b SET port = 5 WHERE email = ?').run('nobody@x'), () => undefined)
  t.equal(cache.read('b@x', 0, load('b@x'))?.port, 1, 'a write that changed no row keeps the cache')
  cache.clear()
  db.prepare('UPDATE b SET port = 9').run()
  t.equal(cache.read('b@x', 0, load('b@x'))?.port, 9, 'a cleared entry is read again')
})

t.test('bounded: past its size the oldest entries go', async (t) => {
  const { db, load } = await setup(t)
  const cache = new BroadcastCache(db, 64)
  for (let i = 0; i < 1000; i++) cache.read(`u${i}@x`, 0, load(`u${i}@x`))
  t.ok(cache.size <= 64, `size stays within the bound (${cache.size})`)
})
