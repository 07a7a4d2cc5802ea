// Scenario 4's measuring process (run with `node --import tsx`, pinned like the servers): fills a
// tracker store with expired broadcasts (plus live ones that must survive), then runs the tracker's
// own sweepExpired while a timer measures how long the event loop is held at a stretch.
// Prints one JSON line with the result.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { openStore, sweepExpired } from '@flashback/tracker'

const expired = Number(process.env.SWEEP_EXPIRED ?? 1_000_000)
const live = Number(process.env.SWEEP_LIVE ?? 10_000)
const databaseUrl = process.env.SWEEP_DATABASE_URL
const dir = databaseUrl ? null : mkdtempSync(path.join(os.tmpdir(), 'flashback-sweep-'))
const url = databaseUrl ?? `sqlite:${path.join(dir, 'tracker.db')}`

const now = Date.now()
const expiredAt = now - 60_000
const liveUntil = now + 3_600_000

/** Value for a column of clients/broadcasts, by name, for row number i. */
function valueFor(column, i, expires) {
  const email = `sweep-${String(i).padStart(8, '0')}@bench.flashback.test`
  switch (column) {
    case 'id':
    case 'client_id':
      return `c${i}`
    case 'broadcast_id':
      return randomUUID()
    case 'email':
      return email
    case 'fingerprint':
      return i.toString(16).padStart(64, '0')
    case 'certificate_pem':
      return '-----BEGIN CERTIFICATE-----\n(bench)\n-----END CERTIFICATE-----\n'
    case 'registered_at':
    case 'last_seen':
      return expires - 3_600_000
    case 'port':
      return 20000 + (i % 40000)
    case 'addresses':
      return JSON.stringify([`192.0.2.${(i % 250) + 1}`])
    case 'capabilities':
      return '{}'
    case 'expires_at':
      return expires
    default:
      throw new Error(`unknown column ${column}: the bench's bulk loader needs updating`)
  }
}

async function fillSqlite(store) {
  const db = store.db
  const cols = (table) => db.prepare(`PRAGMA table_info(${table})`).all().map((c) => c.name)
  const clientCols = cols('clients')
  const bcCols = cols('broadcasts')
  const insClient = db.prepare(`INSERT INTO clients (${clientCols.join(',')}) VALUES (${clientCols.map(() => '?').join(',')})`)
  const insBc = db.prepare(`INSERT INTO broadcasts (${bcCols.join(',')}) VALUES (${bcCols.map(() => '?').join(',')})`)
  const insert = db.transaction((from, to) => {
    for (let i = from; i < to; i++) {
      const expires = i < expired ? expiredAt : liveUntil
      insClient.run(...clientCols.map((c) => valueFor(c, i, expires)))
      insBc.run(...bcCols.map((c) => valueFor(c, i, expires)))
    }
  })
  const total = expired + live
  for (let from = 0; from < total; from += 50_000) insert(from, Math.min(total, from + 50_000))
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
  if (store.backend === 'sqlite') await fillSqlite(store)
  else await fillPostgres()
  const fillMs = performance.now() - t0
  const before = await store.countOnline(now)

  // A 1 ms timer: the longest gap between its ticks, less the 1 ms it waits, is the longest stall.
  // On a shared core a gap can also be time the OS gave to another process, so the CPU time this
  // process used inside each gap is kept too: that part is the stall our own code caused.
  let last = performance.now()
  let lastCpu = process.cpuUsage()
  let longestGap = 0
  let longestGapCpu = 0
  let longestCpu = 0
  let ticking = true
  const tick = () => {
    const t = performance.now()
    const cpu = process.cpuUsage()
    const cpuMs = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000
    if (t - last > longestGap) {
      longestGap = t - last
      longestGapCpu = cpuMs
    }
    longestCpu = Math.max(longestCpu, cpuMs)
    last = t
    lastCpu = cpu
    if (ticking) setTimeout(tick, 1)
  }
  setTimeout(tick, 1)
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  histogram.enable()
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
      longestStallCpuMs: longestCpu,
      loopDelayMaxMs: histogram.max / 1e6,
      liveBefore: before,
      liveAfter: after,
    }),
  )
} finally {
  await store.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
}
