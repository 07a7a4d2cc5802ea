// Scenarios 4 and 5: the sweep of a million expired broadcasts (time and longest event-loop stall)
// and the tracker's memory with many registered identities and live broadcasts.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeRow } from '../lib/compare.mjs'
import { memory, startProcess } from '../lib/processes.mjs'
import { get, postJson } from '../loadgen/requests.mjs'
import { timedRun } from '../lib/measure.mjs'
import { INSTALL } from '../servers/baselines.mjs'
import { broadcastFor, seedStore } from '../lib/tracker-seed.mjs'
import { buildTracker, startTracker, REPO, TRACKER_LIB } from '../servers/flashback.mjs'
import { startPostgres } from '../servers/postgres.mjs'

export const storeScenarios = [
  { id: 'sweep', number: 4, title: 'Sweep of expired broadcasts: total time and longest event-loop stall' },
  { id: 'memory', number: 5, title: 'Tracker memory with registered identities and live broadcasts' },
]

const MiB = 2 ** 20

async function sweepOnce(ctx, { expired, databaseUrl }) {
  const proc = await startProcess({
    name: 'sweep',
    cmd: process.execPath,
    args: [fileURLToPath(new URL('./sweep-child.mjs', import.meta.url)), TRACKER_LIB],
    cwd: REPO,
    cpu: ctx.cpu.server,
    env: { SWEEP_EXPIRED: String(expired), SWEEP_LIVE: '10000', ...(databaseUrl ? { SWEEP_DATABASE_URL: databaseUrl } : {}) },
    ready: (line) => (line.startsWith('{') ? JSON.parse(line) : undefined),
    readyTimeoutMs: 600_000,
  })
  await new Promise((resolve) => (proc.exited ? resolve() : proc.child.once('exit', resolve)))
  const r = proc.ready
  if (!r) throw new Error(`the sweep process printed no result:\n${proc.output()}`)
  if (r.deleted !== expired || r.liveAfter !== r.liveBefore) {
    throw new Error(`the sweep deleted ${r.deleted} of ${expired} expired rows and left ${r.liveAfter} of ${r.liveBefore} live ones`)
  }
  return r
}

async function runSweep(ctx, sc) {
  await buildTracker(ctx.log)
  const expired = ctx.profile.sweepRows
  const n = expired.toLocaleString('en-US')
  ctx.log(`  SQLite: filling ${n} expired + 10,000 live broadcasts, then sweeping`)
  const runs = []
  for (let k = 0; k < ctx.profile.sweepRuns; k++) {
    const r = await sweepOnce(ctx, { expired })
    ctx.log(
      `  sqlite run ${k + 1}: ${r.deleted} deleted in ${(r.durationMs / 1000).toFixed(2)} s, ${r.batches} batches (longest ${r.longestBatchMs.toFixed(1)} ms), longest stall ${r.longestStallMs.toFixed(1)} ms wall${r.waitingForCoreInLongestStallMs == null ? '' : ` (${r.waitingForCoreInLongestStallMs.toFixed(1)} ms of it waiting for the core)`} / ${r.longestStallCpuMs.toFixed(1)} ms CPU, ${r.checkpointWaits ?? 0} waits for the checkpointer (${((r.checkpointWaitMs ?? 0) / 1000).toFixed(2)} s; fill ${(r.fillMs / 1000).toFixed(1)} s)`,
    )
    runs.push(r)
  }
  const rows = [
    makeRow({ metric: `SQLite: time to delete ${n} expired`, unit: 's', better: 'lower', values: { flashback: runs.map((r) => r.durationMs / 1000) } }),
    makeRow({ metric: 'SQLite: longest event-loop stall, wall clock', unit: 'ms', better: 'lower', values: { flashback: runs.map((r) => r.longestStallMs) } }),
    makeRow({ metric: 'SQLite: longest event-loop stall, own CPU time', unit: 'ms', better: 'lower', values: { flashback: runs.map((r) => r.longestStallCpuMs) }, target: { max: 20 } }),
  ]
  const details = { sqlite: runs }
  if (ctx.profile.sweepPostgres) {
    const pg = await startPostgres(ctx)
    if (!pg.ok) {
      details.postgres = { skipped: pg.reason, install: pg.install }
    } else {
      try {
        // openStore migrates the fresh database, as the tracker does at start. Filling PostgreSQL
        // with a million rows takes minutes here, so it gets a smaller count (the table says which).
        const pgRows = ctx.profile.sweepPostgresRows ?? expired
        ctx.log(`  PostgreSQL: filling ${pgRows.toLocaleString('en-US')} expired + 10,000 live broadcasts, then sweeping`)
        const r = await sweepOnce(ctx, { expired: pgRows, databaseUrl: pg.url })
        ctx.log(`  postgres: ${r.deleted} deleted in ${(r.durationMs / 1000).toFixed(2)} s, longest stall ${r.longestStallMs.toFixed(1)} ms`)
        details.postgres = [r]
        rows.push(
          makeRow({ metric: `PostgreSQL: time to delete ${pgRows.toLocaleString('en-US')} expired`, unit: 's', better: 'lower', values: { flashback: [r.durationMs / 1000] } }),
          makeRow({ metric: 'PostgreSQL: longest event-loop stall, wall clock', unit: 'ms', better: 'lower', values: { flashback: [r.longestStallMs] } }),
          makeRow({ metric: 'PostgreSQL: longest event-loop stall, own CPU time', unit: 'ms', better: 'lower', values: { flashback: [r.longestStallCpuMs] }, target: { max: 20 } }),
        )
      } catch (err) {
        details.postgres = { failed: String(err.message).split('\n').slice(0, 4).join(' ') }
        ctx.log(`  PostgreSQL sweep not measured: ${details.postgres.failed}`)
      } finally {
        await pg.drop()
      }
    }
  }
  return { ...sc, title: sc.title.replace('expired broadcasts', `${n} expired broadcasts`), status: 'ok', rows, runs: details }
}

async function lookupLoad(ctx, server, people, client) {
  return timedRun(ctx, server, {
    identities: [client],
    connections: 32,
    expect: [200, 404],
    requests: { order: 'random', list: people.map((p) => get(`/api/relay/broadcast/lookup?email=${encodeURIComponent(p.email)}`)) },
  })
}

async function runMemory(ctx, sc) {
  const count = ctx.profile.memoryIdentities
  const n = count.toLocaleString('en-US')
  ctx.log(`  making ${n} identities`)
  const people = Array.from({ length: count }, (_, i) => ctx.certs.make(i))
  const apiCount = Math.min(count, ctx.profile.apiRegistrations)
  await buildTracker(ctx.log)
  const common = { cert: ctx.files.cert, key: ctx.files.key, cpu: ctx.cpu.server }

  // The same process with an empty store, after the same kind of load, is the reference point.
  const emptyDir = path.join(ctx.workdir, 'tracker-memory-empty')
  mkdirSync(emptyDir, { recursive: true })
  const emptyTracker = await startTracker({ ...common, dataDir: emptyDir })
  let empty
  try {
    await seedApi(ctx, emptyTracker, people.slice(0, 1))
    await lookupLoad(ctx, emptyTracker, people, people[0])
    empty = memory(emptyTracker.pid)
  } finally {
    await emptyTracker.stop()
  }

  const dataDir = path.join(ctx.workdir, 'tracker-memory')
  mkdirSync(dataDir, { recursive: true })
  const databaseUrl = `sqlite:${path.join(dataDir, 'tracker.db')}`
  const storeSeconds = await seedStore({ databaseUrl, people, from: apiCount, to: count, online: () => true })
  ctx.log(`  stored ${count - apiCount} identities with live broadcasts through the tracker's store in ${storeSeconds.toFixed(1)} s`)
  const tracker = await startTracker({ ...common, dataDir, databaseUrl })
  let details
  try {
    const started = memory(tracker.pid)
    const api = await seedApi(ctx, tracker, people.slice(0, apiCount))
    ctx.log(`  registered and readied ${apiCount} more over the API in ${api.seconds.toFixed(1)} s`)
    const lookups = await lookupLoad(ctx, tracker, people, people[0])
    const after = memory(tracker.pid)
    details = { identities: count, emptyAfterLoadRss: empty.rss, startedRss: started.rss, afterLoadRss: after.rss, peakRss: after.hwm, storeSeconds, apiSeconds: api.seconds, lookupRps: lookups.rps, lookupStatuses: lookups.statuses }
    ctx.log(`  tracker RSS: ${(empty.rss / MiB).toFixed(0)} MiB with an empty store after load; with ${n}: ${(started.rss / MiB).toFixed(0)} MiB at start, ${(after.rss / MiB).toFixed(0)} MiB after registrations and lookups (peak ${(after.hwm / MiB).toFixed(0)} MiB)`)
  } finally {
    await tracker.stop()
  }
  const rows = [
    makeRow({ metric: `RSS with ${n} identities and broadcasts, after load`, unit: 'MiB', better: 'lower', values: { flashback: [details.afterLoadRss / MiB] } }),
    makeRow({ metric: 'growth over the same process with an empty store', unit: 'MiB', better: 'lower', values: { flashback: [(details.afterLoadRss - details.emptyAfterLoadRss) / MiB] } }),
  ]
  const pop = ctx.state.populationMemory
  if (pop) {
    rows.push(
      makeRow({
        metric: `RSS after scenarios 1-3 (${pop.peers.toLocaleString('en-US')} peers, half online)`,
        unit: 'MiB',
        better: 'lower',
        values: { flashback: [pop.flashback.rss / MiB], stdiscosrv: pop.stdiscosrv ? [pop.stdiscosrv.rss / MiB] : { skipped: `not installed: ${INSTALL.stdiscosrv}` } },
        baseline: 'stdiscosrv',
      }),
    )
    details.population = pop
  }
  return { ...sc, title: sc.title.replace('registered identities', `${n} registered identities`), status: 'ok', rows, runs: details }
}

/** Register (and ready) identities over the API, one mutual-TLS connection each. */
async function seedApi(ctx, tracker, people) {
  const t0 = Date.now()
  const identities = people.map((p, i) => ({
    cert: p.cert,
    key: p.key,
    requests: [postJson('/api/relay/register', { certificate: p.cert, email: p.email }), postJson('/api/relay/broadcast/ready', broadcastFor(i))],
  }))
  const r = await ctx.gen.run({ port: tracker.port, tlsOptions: ctx.tlsOptions, identities, connections: 32, mode: 'each-identity', expect: [200] })
  if (r.unexpected || r.errors) throw new Error(`registering over the API failed: ${JSON.stringify(r.statuses)} ${r.errorSamples.join(' | ')}`)
  return { seconds: (Date.now() - t0) / 1000 }
}

export async function runStoreGroup(ctx, selected) {
  const results = []
  for (const sc of selected) {
    ctx.log(`[${sc.number}] ${sc.title}`)
    results.push(sc.id === 'sweep' ? await runSweep(ctx, sc) : await runMemory(ctx, sc))
  }
  return results
}
