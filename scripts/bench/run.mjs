#!/usr/bin/env node
// npm run bench [-- --quick] [--only=<ids>] [--runs=N] [--no-pin] [--keep] [--list]
//
// Measures Flashback against what a user would run instead, side by side in one run on this machine:
// the tracker against Syncthing's discovery server (stdiscosrv), the peer server against nginx, both
// against a bare node:https server, with one load generator. Prints a Markdown table and writes the
// JSON under bench/results/. See docs/benchmarks.md for what each scenario does and how to read it.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { createCertFactory } from './lib/certs.mjs'
import { cpuJiffies, describeMachine, sampleBackgroundLoad } from './lib/machine.mjs'
import { hasCommand, procAvailable, stopAll } from './lib/processes.mjs'
import { markdownMachine, markdownTable, writeJson } from './lib/report.mjs'
import { summarizeProfiles } from './lib/cpu-profile.mjs'
import { LoadGenerator } from './loadgen/index.mjs'
import { baselineAvailability } from './servers/baselines.mjs'
import { peerAvailability, REPO, trackerAvailability } from './servers/flashback.mjs'
import { checkScenarios, runCheckGroup } from './scenarios/loadgen-check.mjs'
import { peerScenarios, runPeerGroup } from './scenarios/peer.mjs'
import { runTrackerGroup, trackerScenarios } from './scenarios/tracker.mjs'
import { runStoreGroup, storeScenarios } from './scenarios/tracker-store.mjs'

const PROFILES = {
  quick: {
    warmupRound: false,
    runs: 3,
    warmupMs: 200,
    durationMs: 800,
    checkRuns: 1,
    peers: 1000,
    apiRegistrations: 50,
    downloadBytes: 256 * 2 ** 20,
    downloadRuns: 3,
    listingFiles: 20_000,
    listingRuns: 3,
    listingRepeats: 5,
    sweepRows: 50_000,
    sweepRuns: 1,
    sweepPostgres: false,
    memoryIdentities: 10_000,
  },
  full: {
    // Many short alternating runs rather than a few long ones: other tenants' load comes and goes
    // over tens of seconds, and finer interleaving spreads it more evenly over the systems compared.
    runs: 8,
    warmupMs: 300,
    durationMs: 1200,
    // One uncounted run per system before the counted ones (keep-alive scenarios).
    warmupRound: true,
    checkRuns: 2,
    peers: 10_000,
    apiRegistrations: 300,
    downloadBytes: 2 ** 30,
    downloadRuns: 3,
    listingFiles: 100_000,
    listingRuns: 3,
    listingRepeats: 5,
    sweepRows: 1_000_000,
    sweepRuns: 1,
    sweepPostgres: true,
    sweepPostgresRows: 200_000,
    memoryIdentities: 100_000,
  },
}

const GROUPS = [
  { name: 'check', scenarios: checkScenarios, needs: [], run: runCheckGroup },
  { name: 'peer', scenarios: peerScenarios, needs: ['peer'], run: runPeerGroup },
  { name: 'tracker', scenarios: trackerScenarios, needs: ['tracker'], run: runTrackerGroup },
  { name: 'store', scenarios: storeScenarios, needs: ['tracker'], run: runStoreGroup },
]

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    runs: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
    render: { type: 'string' },
  },
})

if (opts.render) {
  // Print the table and the conditions of an earlier results file (for docs/benchmarks.md).
  const report = JSON.parse(readFileSync(opts.render, 'utf8'))
  console.log(`${markdownMachine(report)}\n\n${report.table}`)
  process.exit(0)
}

if (opts.help || opts.list) {
  console.log('usage: npm run bench [-- --quick] [--only=<id,...>] [--runs=N] [--no-pin] [--keep] [--profile] [--out=<dir>] | --render=<results.json>\n\nscenarios:')
  for (const g of GROUPS) for (const s of g.scenarios) console.log(`  ${String(s.id).padEnd(10)} ${s.number}. ${s.title}`)
  process.exit(0)
}

const mode = opts.quick ? 'quick' : 'full'
const profile = { ...PROFILES[mode] }
if (opts.runs) profile.runs = profile.downloadRuns = profile.listingRuns = Math.max(1, Number(opts.runs))
const only = opts.only ? new Set(opts.only.split(',').map((s) => s.trim())) : null
const startedAt = new Date().toISOString()
const t0 = Date.now()
const log = (msg) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}`)

const canPin = !opts['no-pin'] && hasCommand('taskset') && os.cpus().length >= 2
const cpu = canPin ? { server: 0, loadgen: 1 } : { server: null, loadgen: null }
if (canPin) {
  // The orchestrator (which is also the client of the listing scenario) stays off the servers' core.
  try {
    execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' })
  } catch {
    // Not fatal: the numbers are only a little noisier.
  }
}

const available = {
  ...baselineAvailability(),
  tracker: trackerAvailability(),
  peer: peerAvailability(),
}
for (const [name, a] of Object.entries(available)) if (!a.ok) log(`${name}: not available — ${a.reason ?? `install with: ${a.install}`}`)
if (!procAvailable()) log('warning: /proc is missing: CPU and memory columns will be empty')

const workdir = mkdtempSync(path.join(os.tmpdir(), 'flashback-bench-'))
chmodSync(workdir, 0o755)
const machine = describeMachine(REPO)
machine.backgroundCoresBusyBefore = await sampleBackgroundLoad()
const jiffiesStart = cpuJiffies()
const results = []
let gen

const cleanup = async () => {
  await gen?.close().catch(() => {})
  await stopAll()
  if (opts.profile) {
    for (const name of ['tracker', 'peer']) {
      const dir = path.join(workdir, 'profiles', name)
      if (!existsSync(dir)) continue
      for (const p of summarizeProfiles(dir)) {
        console.log(`\nCPU profile of the ${name} (${p.file}, ${(p.busyMs / 1000).toFixed(1)} s busy), self time by package:`)
        for (const x of p.packages) console.log(`  ${(x.share * 100).toFixed(1).padStart(5)}%  ${x.name}`)
        console.log('  by function:')
        for (const x of p.functions) console.log(`  ${(x.share * 100).toFixed(1).padStart(5)}%  ${x.name}`)
      }
    }
    log(`profiles kept in ${path.join(workdir, 'profiles')}`)
  }
  if (!opts.keep && !opts.profile) rmSync(workdir, { recursive: true, force: true })
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    log(`${sig}: stopping`)
    cleanup().finally(() => process.exit(130))
  })
}

try {
  log(`other tenants kept ${machine.backgroundCoresBusyBefore?.toFixed(2) ?? '?'} of ${os.cpus().length} cores busy in the second before the start`)
  log(`mode ${mode}: ${profile.runs} alternating runs of ${profile.durationMs} ms (+${profile.warmupMs} ms warm-up) per system; ${canPin ? 'servers pinned to CPU 0, load generator to CPU 1' : 'no CPU pinning'}`)
  const certs = await createCertFactory()
  const files = { cert: path.join(workdir, 'server-cert.pem'), key: path.join(workdir, 'server-key.pem') }
  writeFileSync(files.cert, certs.server.certPem, { mode: 0o644 })
  writeFileSync(files.key, certs.server.keyPem, { mode: 0o600 })
  const parsed = certs.identity.parseCertificate(certs.server.certPem)
  const serverIdentity = { email: parsed.commonName, fingerprint: parsed.fingerprint }
  gen = await LoadGenerator.start({ cpu: cpu.loadgen, threads: 1 })
  const ctx = {
    mode,
    profile,
    gen,
    certs,
    files,
    serverIdentity,
    client: certs.make(99_000_000),
    workdir,
    cpu,
    available,
    state: {},
    // One TLS 1.3 suite for every server, so no server wins by negotiating a cheaper cipher.
    tlsOptions: { ciphers: 'TLS_AES_128_GCM_SHA256', minVersion: 'TLSv1.3' },
    log,
    // --profile: Flashback's servers write V8 CPU profiles into the work folder (kept).
    profilerArgs: (name) => (opts.profile ? ['--cpu-prof', '--cpu-prof-dir', path.join(workdir, 'profiles', name)] : []),
  }
  for (const group of GROUPS) {
    const selected = group.scenarios.filter((s) => !only || only.has(String(s.id)) || only.has(String(s.number)) || only.has(group.name))
    if (selected.length === 0) continue
    const missing = group.needs.filter((n) => !available[n].ok)
    if (missing.length) {
      for (const s of selected) results.push({ ...s, status: 'skipped', reason: missing.map((n) => available[n].reason).join('; '), rows: [] })
      continue
    }
    try {
      results.push(...(await group.run(ctx, selected)))
    } catch (err) {
      log(`${group.name}: FAILED: ${err.stack ?? err}`)
      for (const s of selected) if (!results.some((r) => r.id === s.id)) results.push({ ...s, status: 'failed', reason: String(err.message ?? err).split('\n')[0], rows: [] })
      await stopAll()
    }
  }
} finally {
  await cleanup()
}

const jiffiesEnd = cpuJiffies()
machine.loadAverageAtEnd = os.loadavg()
machine.backgroundCoresBusyAfter = await sampleBackgroundLoad()
if (jiffiesStart && jiffiesEnd) {
  machine.cpuBusyDuringRun = (jiffiesEnd.busy - jiffiesStart.busy) / (jiffiesEnd.total - jiffiesStart.total)
}
const table = markdownTable(results)
const report = {
  version: 1,
  mode,
  startedAt,
  durationS: (Date.now() - t0) / 1000,
  machine,
  settings: { ...profile, pinned: canPin, cpu, loadgenThreads: 1, tls: 'TLSv1.3 TLS_AES_128_GCM_SHA256, P-256 certificates (server and client)' },
  scenarios: results,
  table,
}
const file = writeJson(opts.out ?? path.join(REPO, 'bench/results'), report)
console.log(`\n${table}\n`)
log(`results: ${path.relative(process.cwd(), file)} (${report.durationS.toFixed(0)} s in all)`)
process.exit(results.some((r) => r.status === 'failed') ? 1 : 0)
