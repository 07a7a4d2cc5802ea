// Scenarios 1-3 (and issue 7's PostgreSQL comparison): the tracker against Syncthing's discovery
// server, stdiscosrv, on the same certificates, with the same load generator, in alternating runs.
//
// Population: `peers` identities are registered on the tracker; the even-numbered half is online
// (has a live broadcast) and, on stdiscosrv, announced; the odd half is registered but offline
// (never announced there). Lookups of the odd half answer 404 on both.
import { deviceIdFromFingerprint } from '../lib/device-id.mjs'
import { alternate, field, makeRow } from '../lib/compare.mjs'
import { timedRun } from '../lib/measure.mjs'
import { get, postJson } from '../loadgen/requests.mjs'
import { startStdiscosrv, startBareNode, INSTALL } from '../servers/baselines.mjs'
import { buildTracker, startTracker } from '../servers/flashback.mjs'
import { startPostgres } from '../servers/postgres.mjs'
import path from 'node:path'
import { mkdirSync } from 'node:fs'
import { broadcastFor, seedStore } from '../lib/tracker-seed.mjs'
import { memory } from '../lib/processes.mjs'

const CONNECTIONS = 32

const readyBody = broadcastFor

function announceBody(i) {
  return { addresses: [`tcp://192.0.2.${(i % 250) + 1}:${20000 + (i % 40000)}`] }
}

/**
 * Before the tracker starts: people[apiCount..] registered (even ones online) through its store.
 * After: people[0..apiCount) register (and the even ones ready) over the API, each on its own
 * mutual-TLS connection, as real clients do. Returns the timings.
 */
async function seedBeforeStart(ctx, { databaseUrl, people }) {
  const apiCount = Math.min(people.length, ctx.profile.apiRegistrations)
  const seconds = await seedStore({ databaseUrl, people, from: apiCount, to: people.length, online: (i) => i % 2 === 0 })
  ctx.log(`  stored ${people.length - apiCount} identities through the tracker's store in ${seconds.toFixed(1)} s`)
  return { storeSeconds: seconds, apiCount }
}

async function seedTracker(ctx, tracker, people, apiCount) {
  const t0 = Date.now()
  const identities = people.slice(0, apiCount).map((p, i) => ({
    cert: p.cert,
    key: p.key,
    requests: [
      postJson('/api/relay/register', { certificate: p.cert, email: p.email }),
      ...(i % 2 === 0 ? [postJson('/api/relay/broadcast/ready', readyBody(i))] : []),
    ],
  }))
  const r = await ctx.gen.run({ port: tracker.port, tlsOptions: ctx.tlsOptions, identities, connections: CONNECTIONS, mode: 'each-identity', expect: [200] })
  if (r.unexpected || r.errors) throw new Error(`registering over the API failed: ${JSON.stringify(r.statuses)} ${r.errors} errors: ${r.errorSamples.join(' | ')}`)
  const s = (Date.now() - t0) / 1000
  ctx.log(`  registered ${apiCount} identities over the API on ${tracker.label ?? tracker.name} in ${s.toFixed(1)} s (${Math.round(apiCount / s)}/s, one new connection each)`)
  return { apiSeconds: s, apiPerSecond: apiCount / s }
}

async function seedStdiscosrv(ctx, sd, people) {
  const t0 = Date.now()
  const identities = people
    .map((p, i) => (i % 2 === 0 ? { cert: p.cert, key: p.key, requests: [postJson('/', announceBody(i))] } : null))
    .filter(Boolean)
  const r = await ctx.gen.run({ port: sd.port, tlsOptions: ctx.tlsOptions, identities, connections: CONNECTIONS, mode: 'each-identity', expect: [204] })
  if (r.unexpected || r.errors) throw new Error(`seeding stdiscosrv failed: ${JSON.stringify(r.statuses)} ${r.errorSamples.join(' | ')}`)
  const s = (Date.now() - t0) / 1000
  ctx.log(`  announced ${identities.length} devices on stdiscosrv in ${s.toFixed(1)} s`)
  return { seconds: s }
}

/** Load specs per system for each tracker scenario. */
function specs(people) {
  const client = people[2]
  const target = people[0]
  const targetDevice = deviceIdFromFingerprint(target.fingerprint)
  const readyIds = Array.from({ length: CONNECTIONS }, (_, k) => 2 * k)
  return {
    lookupOne: {
      flashback: { identities: [client], connections: CONNECTIONS, requests: { list: [get(`/api/relay/broadcast/lookup?email=${encodeURIComponent(target.email)}`)] } },
      stdiscosrv: { identities: [client], connections: CONNECTIONS, requests: { list: [get(`/?device=${targetDevice}`)] } },
      'bare-node': { identities: [client], connections: CONNECTIONS, requests: { list: [get('/lookup')] } },
    },
    lookupMix: {
      flashback: {
        identities: [client],
        connections: CONNECTIONS,
        expect: [200, 404],
        requests: { order: 'random', list: people.map((p) => get(`/api/relay/broadcast/lookup?email=${encodeURIComponent(p.email)}`)) },
      },
      stdiscosrv: {
        identities: [client],
        connections: CONNECTIONS,
        expect: [200, 404],
        requests: { order: 'random', list: people.map((p) => get(`/?device=${deviceIdFromFingerprint(p.fingerprint)}`)) },
      },
    },
    ready: {
      flashback: {
        connections: CONNECTIONS,
        identities: readyIds.map((i) => ({ cert: people[i].cert, key: people[i].key, requests: [postJson('/api/relay/broadcast/ready', readyBody(i))] })),
      },
      stdiscosrv: {
        connections: CONNECTIONS,
        expect: [204],
        identities: readyIds.map((i) => ({ cert: people[i].cert, key: people[i].key, requests: [postJson('/', announceBody(i))] })),
      },
    },
    connect: {
      flashback: {
        mode: 'connect',
        connections: CONNECTIONS,
        identities: readyIds.map((i) => people[i]),
        requests: { list: [get(`/api/relay/broadcast/lookup?email=${encodeURIComponent(target.email)}`, { close: true })] },
      },
      stdiscosrv: { mode: 'connect', connections: CONNECTIONS, identities: readyIds.map((i) => people[i]), requests: { list: [get(`/?device=${targetDevice}`, { close: true })] } },
      'bare-node': { mode: 'connect', connections: CONNECTIONS, identities: readyIds.map((i) => people[i]), requests: { list: [get('/lookup', { close: true })] } },
    },
  }
}

function throughputRows({ values, baseline, unitRate = 'req/s', target, perWhat = 'request' }) {
  const pick = (key) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Array.isArray(v) ? field(v, key) : v]))
  return [
    makeRow({ metric: 'throughput', unit: unitRate, better: 'higher', values: pick('rps'), baseline, target }),
    makeRow({ metric: 'p99 latency', unit: 'ms', better: 'lower', values: pick('p99'), baseline }),
    makeRow({ metric: `server CPU per ${perWhat}`, unit: 'µs', better: 'lower', values: pick('serverCpuUs'), baseline }),
  ]
}

async function compare(ctx, systems, specBySystem) {
  const res = await alternate(systems, ctx.profile.runs, (s) => timedRun(ctx, s, specBySystem[s.name]), ctx.log, { warmup: ctx.profile.warmupRound })
  return res
}

export const trackerScenarios = [
  { id: 'lookup', number: 1, title: 'Tracker lookup over keep-alive mutual TLS (32 connections)' },
  { id: 'ready', number: 2, title: 'Tracker ready vs stdiscosrv announce (32 identities, keep-alive)' },
  { id: 'connect', number: 3, title: 'New mutual-TLS connections per second (one lookup per connection)' },
  { id: 'postgres', number: 'PG', title: 'Tracker on PostgreSQL vs on SQLite (issue 7): ready and lookup' },
]

/** Runs the selected tracker scenarios; returns their results. */
export async function runTrackerGroup(ctx, selected) {
  const results = []
  const peers = ctx.profile.peers
  ctx.log(`tracker: making ${peers} identities`)
  const people = Array.from({ length: peers }, (_, i) => ctx.certs.make(i))
  await buildTracker(ctx.log)
  const cpu = ctx.cpu.server
  const common = { cert: ctx.files.cert, key: ctx.files.key, cpu }
  const running = []
  const stopAllHere = async () => {
    for (const s of running.splice(0)) await s.stop()
  }
  try {
    const dataDir = path.join(ctx.workdir, 'tracker-sqlite')
    mkdirSync(dataDir, { recursive: true })
    const databaseUrl = `sqlite:${path.join(dataDir, 'tracker.db')}`
    const before = await seedBeforeStart(ctx, { databaseUrl, people })
    const tracker = await startTracker({ ...common, dataDir, databaseUrl, nodeArgs: ctx.profilerArgs('tracker') })
    tracker.label = 'tracker (SQLite)'
    running.push(tracker)
    const seeding = { flashback: { ...before, ...(await seedTracker(ctx, tracker, people, before.apiCount)) } }
    let sd = null
    if (ctx.available.stdiscosrv.ok && selected.some((s) => s.id !== 'postgres')) {
      sd = await startStdiscosrv({ ...common, dir: path.join(ctx.workdir, 'stdiscosrv') })
      running.push(sd)
      seeding.stdiscosrv = await seedStdiscosrv(ctx, sd, people)
    }
    const bare = await startBareNode({ ...common })
    running.push(bare)
    const all = specs(people)
    const sdSkip = { skipped: `not installed: ${INSTALL.stdiscosrv}` }

    for (const sc of selected) {
      ctx.log(`[${sc.number}] ${sc.title}`)
      if (sc.id === 'lookup') {
        const one = await compare(ctx, [tracker, ...(sd ? [sd] : []), bare], all.lookupOne)
        const mix = await compare(ctx, [tracker, ...(sd ? [sd] : [])], all.lookupMix)
        const rowsOne = throughputRows({ values: { flashback: one.flashback, stdiscosrv: one.stdiscosrv ?? sdSkip, 'bare-node': one['bare-node'] }, baseline: 'stdiscosrv', target: { ratio: 1.0 } })
        const rowsMix = throughputRows({ values: { flashback: mix.flashback, stdiscosrv: mix.stdiscosrv ?? sdSkip }, baseline: 'stdiscosrv', target: { ratio: 1.0 } })
        for (const r of rowsOne) r.metric = `one peer: ${r.metric}`
        for (const r of rowsMix) r.metric = `${peers.toLocaleString('en-US')} peers, half online: ${r.metric}`
        results.push({ ...sc, status: 'ok', rows: [...rowsOne, ...rowsMix], runs: { lookupOne: one, lookupMix: mix }, seeding })
      } else if (sc.id === 'ready') {
        const r = await compare(ctx, [tracker, ...(sd ? [sd] : [])], all.ready)
        results.push({ ...sc, status: 'ok', rows: throughputRows({ values: { flashback: r.flashback, stdiscosrv: r.stdiscosrv ?? sdSkip }, baseline: 'stdiscosrv', target: { ratio: 1.0 } }), runs: r })
      } else if (sc.id === 'connect') {
        const r = await compare(ctx, [tracker, ...(sd ? [sd] : []), bare], all.connect)
        results.push({
          ...sc,
          status: 'ok',
          rows: throughputRows({ values: { flashback: r.flashback, stdiscosrv: r.stdiscosrv ?? sdSkip, 'bare-node': r['bare-node'] }, baseline: 'stdiscosrv', unitRate: 'conn/s', perWhat: 'connection' }),
          runs: r,
        })
      } else if (sc.id === 'postgres') {
        results.push(await runPostgres(ctx, sc, { tracker, people, common, running, all }))
      }
    }
    // Resident memory of both after the same population and the same load, for scenario 5's table.
    ctx.state.populationMemory = { peers, flashback: memory(tracker.pid), ...(sd ? { stdiscosrv: memory(sd.pid) } : {}) }
  } finally {
    await stopAllHere()
  }
  return results
}

async function runPostgres(ctx, sc, { tracker, people, common, running, all }) {
  const pg = await startPostgres(ctx)
  if (!pg.ok) return { ...sc, status: 'skipped', reason: pg.reason, install: pg.install, rows: [] }
  try {
    const dataDir = path.join(ctx.workdir, 'tracker-postgres')
    mkdirSync(dataDir, { recursive: true })
    let pgTracker
    let before
    try {
      // The tracker migrates the database at start: a first start on the empty database, then seed.
      const first = await startTracker({ ...common, dataDir, databaseUrl: pg.url })
      await first.stop()
      before = await seedBeforeStart(ctx, { databaseUrl: pg.url, people })
      pgTracker = await startTracker({ ...common, dataDir, databaseUrl: pg.url })
    } catch (err) {
      return { ...sc, status: 'failed', reason: `the tracker did not start on PostgreSQL: ${String(err.message).split('\n').slice(0, 6).join(' ')}`, rows: [] }
    }
    pgTracker.label = 'tracker (PostgreSQL)'
    running.push(pgTracker)
    const seeding = { ...before, ...(await seedTracker(ctx, pgTracker, people, before.apiCount)) }
    const sqlite = { ...tracker, name: 'sqlite' }
    const postgres = { ...pgTracker, name: 'postgres' }
    const spec = (s) => ({ sqlite: s.flashback, postgres: s.flashback })
    const lookups = await compare(ctx, [postgres, sqlite], spec(all.lookupMix))
    const readies = await compare(ctx, [postgres, sqlite], spec(all.ready))
    const rows = []
    for (const [label, r] of [[`lookup (${people.length.toLocaleString('en-US')} peers, half online)`, lookups], ['ready', readies]]) {
      const tr = throughputRows({ values: { flashback: r.postgres, sqlite: r.sqlite }, baseline: 'sqlite' })
      for (const row of tr) row.metric = `${label}: ${row.metric}`
      rows.push(...tr)
    }
    return {
      ...sc,
      status: 'ok',
      subjectLabel: 'PostgreSQL',
      baselineLabel: 'SQLite',
      rows,
      runs: { lookups, readies },
      seeding,
      database: pg.describe,
      note: 'PostgreSQL runs as the system service (not pinned): the tracker process is pinned to its core as always, the database shares the other core with the load generator.',
    }
  } finally {
    await pg.drop()
  }
}
