// Scenario 4's measuring process (pinned like the servers; argv[2] is the tracker library bundle): fills a
// tracker store with expired broadcasts (plus live ones that must survive), then runs the tracker's
// own sweepExpired while a timer measures how long the event loop is held at a stretch.
// Prints one JSON line with the result.
import { existsSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'

const { openStore, sweepExpired } = await import(pathToFileURL(process.argv[2]).href)

const expired = Number(process.env.SWEEP_EXPIRED ?? 1_000_000)
const live = Number(process.env.SWEEP_LIVE ?? 10_000)
const databaseUrl = process.env.SWEEP_DATABASE_URL
const dir = databaseUrl ? null : mkdtempSync(path.join(os.tmpdir(), 'flashback-sweep-'))
const url = databaseUrl ?? `sqlite:${path.join(dir, 'tracker.db')}`

const now = Date.now()
const expiredAt = now - 60_000
const liveUntil = now + 3_600_000

/** SQLite expression for a column, row number `i` of a recursive counter. */
function sqliteExpression(column, expiresMs) {
  switch (column) {
    case 'id':
    case 'client_id':
      return `'c' || i`
    case 'broadcast_id':
      return `lower(hex(randomblob(16)))`
    case 'email':
      return `printf('sweep-%08d@bench.flashback.test', i)`
    case 'fingerprint':
      return `printf('%064x', i)`
    case 'certificate_pem':
      return `'-----BEGIN CERTIFICATE-----' || char(10) || '(bench)' || char(10) || '-----END CERTIFICATE-----' || char(10)`
    case 'registered_at':
    case 'last_seen':
      return String(expiresMs - 3_600_000)
    case 'expires_at':
      return String(expiresMs)
    case 'port':
      return `20000 + i % 40000`
    case 'addresses':
      return `'["192.0.2.' || (i % 250 + 1) || '"]'`
    case 'capabilities':
      return `'{}'`
    default:
      throw new Error(`unknown column ${column}: the bench's bulk loader needs updating`)
  }
}

async function fillSqlite(store) {
  const db = store.db
  const cols = (table) => db.prepare(`PRAGMA table_info(${table})`).all().map((c) => c.name)
  const ranges = [
    [0, expired, expiredAt],
    [expired, expired + live, liveUntil],
  ]
  for (const table of ['clients', 'broadcasts']) {
    const columns = cols(table)
    if (!columns.length) throw new Error(`the SQLite store has no ${table} table`)
    for (const [from, to, expires] of ranges) {
      if (to <= from) continue
      // One statement per range: rows generated inside SQLite, no round trip per row.
      db.exec(`WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${to - 1})
        INSERT INTO ${table} (${columns.join(',')}) SELECT ${columns.map((c) => sqliteExpression(c, expires)).join(',')} FROM n`)
    }
  }
}

/** SQL expression for a column, row number `g` from generate_series, of the column's own type. */
function pgExpression(column, type, expiresMs) {
  const id = `md5('c' || g)`
  const asType = (textExpr) => (type === 'uuid' ? `${textExpr}::uuid` : textExpr)
  const time = (ms) => (type.startsWith('timestamp') ? `to_timestamp(${ms} / 1000.0)` : `${ms}::bigint`)
  switch (column) {
    case 'id':
    case 'client_id':
      return type === 'uuid' ? `${id}::uuid` : `'c' || g`
    case 'broadcast_id':
      return asType(`md5('b' || g)`)
    case 'email':
      return `'sweep-' || lpad(g::text, 8, '0') || '@bench.flashback.test'`
    case 'fingerprint':
      return `lpad(to_hex(g), 64, '0')`
    case 'certificate_pem':
      return `'-----BEGIN CERTIFICATE-----' || chr(10) || '(bench)' || chr(10) || '-----END CERTIFICATE-----' || chr(10)`
    case 'registered_at':
    case 'last_seen':
      return time(`(${expiresMs} - 3600000)`)
    case 'expires_at':
      return time(String(expiresMs))
    case 'port':
      return `20000 + g % 40000`
    case 'addresses':
      return type === 'ARRAY' ? `ARRAY['192.0.2.' || (g % 250 + 1)]` : `('["192.0.2.' || (g % 250 + 1) || '"]')::${type === 'text' ? 'text' : type}`
    case 'capabilities':
      return `'{}'::${type === 'text' ? 'text' : type}`
    default:
      throw new Error(`unknown column ${column}: the bench's bulk loader needs updating`)
  }
}

async function fillPostgres() {
  const pg = (await import('pg')).default
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const cols = async (table) =>
      (
        await client.query(
          'SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 AND table_schema = current_schema() ORDER BY ordinal_position',
          [table],
        )
      ).rows.map((r) => ({ name: r.column_name, type: r.data_type === 'USER-DEFINED' ? 'text' : r.data_type }))
    const clientCols = await cols('clients')
    const bcCols = await cols('broadcasts')
    if (!clientCols.length || !bcCols.length) throw new Error('the PostgreSQL store has no clients/broadcasts tables in the current schema')
    const ranges = [
      [0, expired, expiredAt],
      [expired, expired + live, liveUntil],
    ]
    for (const [from, to, expires] of ranges) {
      for (let lo = from; lo < to; lo += 100_000) {
        const hi = Math.min(to, lo + 100_000) - 1
        for (const [table, columns] of [['clients', clientCols], ['broadcasts', bcCols]]) {
          const exprs = columns.map((c) => pgExpression(c.name, c.type, expires))
          await client.query(`INSERT INTO ${table} (${columns.map((c) => c.name).join(',')}) SELECT ${exprs.join(',')} FROM generate_series(${lo}, ${hi}) AS g`)
        }
      }
    }
    await client.query('ANALYZE clients')
    await client.query('ANALYZE broadcasts')
  } finally {
    await client.end()
  }
}

const store = await openStore({ databaseUrl: url })
try {
  const t0 = performance.now()
  if (store.backend === 'sqlite') {
    await fillSqlite(store)
    // The fill is one huge transaction: its WAL goes into the database file now, so that the sweep is
    // timed on its own (a real sweep deletes rows written long before). The tracker's checkpointer
    // thread may hold the checkpoint lock for a moment: retry then.
    for (let tries = 0; store.db.pragma('wal_checkpoint(TRUNCATE)')[0].busy !== 0; tries++) {
      if (tries > 600) throw new Error('the WAL of the fill could not be checkpointed')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  } else await fillPostgres()
  const fillMs = performance.now() - t0
  const before = await store.countOnline(now)

  // A 1 ms timer: the longest gap between its ticks, less the 1 ms it waits, is the longest stall.
  // On a shared core a gap can also be time the OS gave to another process (or to the tracker's own
  // WAL-checkpoint thread), so the main thread's own run time inside each gap is kept too, from
  // /proc/self/task/<pid>/schedstat (nanoseconds): that part is the stall the sweep itself caused.
  // The kernel brings a running thread's count up to date only at a scheduler tick or a switch,
  // which process.cpuUsage() forces for the calling thread: without it the figure was off by up to a tick.
  // Its second field is the time the thread spent runnable but waiting for the core (other processes).
  // Read into one buffer, numbers parsed in place: a new string per tick (1,000 a second) made enough
  // garbage for full collections during the sweep, counted as its stalls.
  const schedstat = `/proc/self/task/${process.pid}/schedstat`
  const hasSchedstat = existsSync(schedstat)
  const statFd = hasSchedstat ? openSync(schedstat, 'r') : -1
  const statBuf = Buffer.alloc(128)
  const times = { cpu: 0, wait: 0 }
  /** Sets `times` to the main thread's CPU time and its time waiting for a core, in ms (without schedstat: the process's CPU, 0). */
  const readTimes = hasSchedstat
    ? () => {
        process.cpuUsage()
        const n = readSync(statFd, statBuf, 0, statBuf.length, 0)
        let field = 0
        let value = 0
        for (let i = 0; i < n && field < 2; i++) {
          const c = statBuf[i]
          if (c >= 48 && c <= 57) value = value * 10 + (c - 48)
          else {
            if (field === 0) times.cpu = value / 1e6
            else times.wait = value / 1e6
            field++
            value = 0
          }
        }
      }
    : () => {
        const u = process.cpuUsage()
        times.cpu = (u.user + u.system) / 1000
      }
  readTimes()
  let last = performance.now()
  let lastCpu = times.cpu
  let lastWait = times.wait
  let longestGap = 0
  let longestGapCpu = 0
  let longestGapWait = 0
  let longestCpu = 0
  let ticking = true
  const tick = () => {
    const t = performance.now()
    readTimes()
    const { cpu, wait } = times
    const cpuMs = cpu - lastCpu
    if (t - last > longestGap) {
      longestGap = t - last
      longestGapCpu = cpuMs
      longestGapWait = wait - lastWait
    }
    longestCpu = Math.max(longestCpu, cpuMs)
    last = t
    lastCpu = cpu
    lastWait = wait
    if (ticking) setTimeout(tick, 1)
  }
  setTimeout(tick, 1)
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  histogram.enable()
  // A few ticks first, so that the timer's own start (first calls, compilation) is not counted.
  await new Promise((resolve) => setTimeout(resolve, 50))
  longestGap = longestGapCpu = longestGapWait = longestCpu = 0
  // Time the sweep spent waiting (event loop free) for the store between batches: SQLite's checkpointer.
  let waits = 0
  let waitMs = 0
  const settle = store.settleWrites?.bind(store)
  if (settle) {
    store.settleWrites = async () => {
      const w0 = performance.now()
      await settle()
      const w = performance.now() - w0
      if (w > 1) {
        waits++
        waitMs += w
      }
    }
  }
  const result = await sweepExpired(store, { now })
  histogram.disable()
  ticking = false
  const after = await store.countOnline(now)
  console.log(
    JSON.stringify({
      backend: store.backend,
      expired,
      live,
      fillMs,
      deleted: result.deleted,
      batches: result.batches,
      durationMs: result.durationMs,
      longestBatchMs: result.longestBatchMs,
      longestStallMs: Math.max(0, longestGap - 1),
      cpuInLongestStallMs: longestGapCpu,
      // Of the longest wall-clock gap, the time the main thread was ready to run but the core was busy.
      waitingForCoreInLongestStallMs: hasSchedstat ? longestGapWait : null,
      longestStallCpuMs: longestCpu,
      loopDelayMaxMs: histogram.max / 1e6,
      checkpointWaits: waits,
      checkpointWaitMs: waitMs,
      liveBefore: before,
      liveAfter: after,
    }),
  )
} finally {
  await store.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
}
