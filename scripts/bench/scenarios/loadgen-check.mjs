// Is the load generator fast enough? Against the same nginx and the same bare node:https server it
// is compared with wrk (C, the usual reference; it cannot present client certificates, so this check
// runs without one, which nginx's `optional_no_ca` and the bare server accept). If our generator
// drives them about as hard as wrk does, and far harder than Flashback's servers go, it is not what
// limits the Flashback numbers.
import path from 'node:path'
import { writeFileSync } from 'node:fs'
import { alternate, field, makeRow } from '../lib/compare.mjs'
import { timedRun } from '../lib/measure.mjs'
import { FIXTURE_ROOT, bigFile } from '../lib/fixtures.mjs'
import { hasCommand, startProcess } from '../lib/processes.mjs'
import { get } from '../loadgen/requests.mjs'
import { startBareNode, startNginx } from '../servers/baselines.mjs'

export const checkScenarios = [{ id: 'loadgen', number: 0, title: 'Load generator check: bench generator vs wrk, no client certificate, 32 connections' }]

async function wrkRun(ctx, server, urlPath) {
  const seconds = Math.max(1, Math.round(ctx.profile.durationMs / 1000))
  const proc = await startProcess({
    name: 'wrk',
    cmd: 'wrk',
    args: ['-t1', '-c32', `-d${seconds}s`, '--latency', `https://127.0.0.1:${server.port}${urlPath}`],
    cpu: ctx.cpu.loadgen,
  })
  await new Promise((resolve) => (proc.exited ? resolve() : proc.child.once('exit', resolve)))
  const out = proc.output()
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1])
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out)
  const p99ms = p99 ? Number(p99[1]) * (p99[2] === 'us' ? 1e-3 : p99[2] === 's' ? 1e3 : 1) : Number.NaN
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0)
  const valid = Number.isFinite(rps) && non2xx === 0
  return { valid, rps, p99: p99ms, summary: valid ? `${Math.round(rps)} req/s (wrk)` : `INVALID wrk output: ${out.slice(0, 300)}` }
}

export async function runCheckGroup(ctx, selected) {
  const [sc] = selected
  ctx.log(`[0] ${sc.title}`)
  if (!hasCommand('wrk')) return [{ ...sc, status: 'skipped', reason: 'wrk is not installed', install: 'apt-get install -y wrk', rows: [] }]
  const big = bigFile(ctx.profile.downloadBytes)
  const small = path.join(big.dir, 'lookup.json')
  writeFileSync(small, JSON.stringify({ email: 'bench-00000000@bench.flashback.test', port: 40000, addresses: ['192.0.2.1'], capabilities: {}, fingerprint: '0'.repeat(64), last_seen: new Date(0).toISOString(), expires_in: 3600 }), { mode: 0o644 })
  const targets = []
  const running = []
  try {
    if (ctx.available.nginx.ok) {
      const nginx = await startNginx({ dir: path.join(ctx.workdir, 'nginx-check'), root: FIXTURE_ROOT, cert: ctx.files.cert, key: ctx.files.key, cpu: ctx.cpu.server })
      running.push(nginx)
      targets.push({ server: nginx, path: `/${path.relative(FIXTURE_ROOT, small)}` })
    }
    const bare = await startBareNode({ root: big.dir, cert: ctx.files.cert, key: ctx.files.key, cpu: ctx.cpu.server })
    running.push(bare)
    targets.push({ server: bare, path: '/lookup' })
    const rows = []
    const runs = {}
    if (!ctx.available.nginx.ok) {
      const skipped = { skipped: `not installed: ${ctx.available.nginx.install}` }
      rows.push(makeRow({ metric: 'nginx, small JSON: requests/s, bench generator vs wrk', unit: 'req/s', values: { flashback: skipped, wrk: skipped }, baseline: 'wrk' }))
    }
    for (const t of targets) {
      const systems = [
        { name: 'flashback', run: () => timedRun(ctx, t.server, { identities: [], connections: 32, requests: { list: [get(t.path)] } }) },
        { name: 'wrk', run: () => wrkRun(ctx, t.server, t.path) },
        { name: 'with-cert', run: () => timedRun(ctx, t.server, { identities: [ctx.client], connections: 32, requests: { list: [get(t.path)] } }) },
      ]
      const r = await alternate(systems, ctx.profile.checkRuns, (s) => s.run(), ctx.log)
      runs[t.server.name] = r
      rows.push(
        makeRow({
          metric: `${t.server.name}, small JSON: requests/s, bench generator vs wrk`,
          unit: 'req/s',
          better: 'higher',
          values: { flashback: field(r.flashback, 'rps'), wrk: field(r.wrk, 'rps') },
          baseline: 'wrk',
        }),
        makeRow({
          metric: `${t.server.name}, small JSON: requests/s with a client certificate (bench generator)`,
          unit: 'req/s',
          better: 'higher',
          values: { flashback: field(r['with-cert'], 'rps') },
        }),
      )
    }
    return [{ ...sc, status: 'ok', subjectLabel: 'bench generator', rows, runs }]
  } finally {
    for (const s of running.splice(0)) await s.stop()
  }
}
