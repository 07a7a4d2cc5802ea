// Scenarios 6-8: the peer server against nginx (and a bare node:https server) serving the same files
// over HTTPS with the same certificate, client certificate presented, in alternating runs.
import https from 'node:https'
import path from 'node:path'
import { readFileSync } from 'node:fs'
import { alternate, field, makeRow } from '../lib/compare.mjs'
import { reduce, timedRun } from '../lib/measure.mjs'
import { bigFile, manyFiles, FIXTURE_ROOT } from '../lib/fixtures.mjs'
import { median } from '../lib/stats.mjs'
import { cpuSeconds } from '../lib/processes.mjs'
import { get } from '../loadgen/requests.mjs'
import { startBareNode, startNginx, INSTALL } from '../servers/baselines.mjs'
import { startPeer } from '../servers/flashback.mjs'

export const peerScenarios = [
  { id: 'download', number: 6, title: 'Peer server: one large file over HTTPS (one connection)' },
  { id: 'ranges', number: 7, title: 'Peer server: random 64 KiB range reads, 32 keep-alive connections' },
  { id: 'listing', number: 8, title: 'Peer server: listing a folder of many files (first page, full walk)' },
]

const MiB = 1 << 20

function pathsFor(system, file) {
  const rel = path.relative(FIXTURE_ROOT, file.path).split(path.sep).map(encodeURIComponent).join('/')
  if (system === 'flashback') return `/download/${rel}`
  if (system === 'nginx') return `/${rel}`
  return `/download/${encodeURIComponent(file.name)}`
}

/** Sequential GETs over one keep-alive connection with the bench's client certificate. */
function makeClient(ctx, server) {
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: 1,
    cert: ctx.client.cert,
    key: ctx.client.key,
    rejectUnauthorized: false,
    ciphers: ctx.tlsOptions.ciphers,
  })
  const fetchOnce = (urlPath) =>
    new Promise((resolve, reject) => {
      const t0 = performance.now()
      const req = https.get({ host: '127.0.0.1', port: server.port, path: urlPath, agent, servername: 'localhost' }, (res) => {
        const parts = []
        res.on('data', (d) => parts.push(d))
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(parts), ms: performance.now() - t0 }))
        res.on('error', reject)
      })
      req.on('error', reject)
    })
  return { fetch: fetchOnce, close: () => agent.destroy() }
}

async function listingRun(ctx, server, folder, count) {
  const client = makeClient(ctx, server)
  try {
    const base = path.basename(folder)
    const firstPath = server.name === 'flashback' ? `/api/files/${base}` : `/${base}/`
    const cpu0 = cpuSeconds(server.pid)
    // Warm the connection (handshake) before timing.
    await client.fetch(server.name === 'flashback' ? '/api/files' : '/')
    const firsts = []
    for (let k = 0; k < ctx.profile.listingRepeats; k++) {
      const r = await client.fetch(firstPath)
      if (r.status !== 200) throw new Error(`${server.name} ${firstPath} answered ${r.status}: ${r.body.toString().slice(0, 200)}`)
      firsts.push(r.ms)
    }
    // The full walk: nginx has one answer with everything; the peer server pages with next_cursor.
    const t0 = performance.now()
    let entries = 0
    if (server.name === 'flashback') {
      let next = firstPath
      for (;;) {
        const r = await client.fetch(next)
        if (r.status !== 200) throw new Error(`${server.name} ${next} answered ${r.status}`)
        const tail = r.body.toString('latin1', Math.max(0, r.body.length - 400))
        const m = /"next_cursor"\s*:\s*"([^"]+)"/.exec(tail) ?? /"next_cursor"\s*:\s*"([^"]+)"/.exec(r.body.toString('latin1'))
        entries += (r.body.toString('latin1').match(/"type":/g) ?? []).length
        if (!m) break
        next = `${firstPath}?cursor=${encodeURIComponent(m[1])}`
      }
    } else {
      const r = await client.fetch(firstPath)
      entries = (r.body.toString('latin1').match(/"type":/g) ?? []).length
    }
    const walkMs = performance.now() - t0
    const cpu = cpuSeconds(server.pid) - cpu0
    if (entries !== count) throw new Error(`${server.name} listed ${entries} entries, expected ${count}`)
    const first = median(firsts)
    return { valid: true, firstMs: first, walkMs, entries, serverCpuS: cpu, summary: `first page ${first.toFixed(1)} ms, full walk ${walkMs.toFixed(0)} ms (${entries} entries)` }
  } finally {
    client.close()
  }
}

export async function runPeerGroup(ctx, selected) {
  const results = []
  const cpu = ctx.cpu.server
  const big = bigFile(ctx.profile.downloadBytes)
  // Read it once so every server starts from the page cache.
  if (readFileSync(big.path).length !== big.size) throw new Error(`${big.path} is not ${big.size} bytes`)
  const running = []
  try {
    const systems = []
    const peer = await startPeer({ root: FIXTURE_ROOT, certFile: ctx.files.cert, keyFile: ctx.files.key, identity: ctx.serverIdentity, cpu, nodeArgs: ctx.profilerArgs('peer') })
    running.push(peer)
    systems.push(peer)
    let nginx = null
    if (ctx.available.nginx.ok) {
      nginx = await startNginx({ dir: path.join(ctx.workdir, 'nginx'), root: FIXTURE_ROOT, cert: ctx.files.cert, key: ctx.files.key, cpu })
      running.push(nginx)
      systems.push(nginx)
    }
    const bare = await startBareNode({ root: big.dir, cert: ctx.files.cert, key: ctx.files.key, cpu })
    running.push(bare)
    const nginxSkip = { skipped: `not installed: ${INSTALL.nginx}` }
    const withSkip = (r) => ({ ...r, nginx: r.nginx ?? nginxSkip })

    for (const sc of selected) {
      ctx.log(`[${sc.number}] ${sc.title}`)
      if (sc.id === 'download') {
        const r = await alternate([...systems, bare], ctx.profile.downloadRuns, async (s) => {
          const raw = await ctx.gen.run(
            { tlsOptions: ctx.tlsOptions, port: s.port, identities: [ctx.client], connections: 1, totalRequests: 1, requests: { list: [get(pathsFor(s.name, big))] } },
            { watch: { server: s.pid } },
          )
          const m = reduce(raw)
          if (raw.bodyBytes !== big.size) m.valid = false
          m.serverCpuPerGiB = raw.cpu.server / (big.size / 2 ** 30)
          m.summary = `${m.mbps.toFixed(0)} MB/s, server CPU ${m.serverCpuPerGiB.toFixed(2)} s/GiB${m.valid ? '' : ' INVALID ' + JSON.stringify(raw.statuses)}`
          return m
        }, ctx.log)
        const values = (key) => withSkip(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, field(v, key)])))
        results.push({
          ...sc,
          title: `${sc.title.replace('one large file', `${(big.size / 2 ** 30 >= 1 ? `${big.size / 2 ** 30} GiB` : `${big.size / MiB} MiB`)} download`)}`,
          status: 'ok',
          rows: [
            makeRow({ metric: 'throughput', unit: 'MB/s', better: 'higher', values: values('mbps'), baseline: 'nginx', target: { ratio: 0.9 } }),
            makeRow({ metric: 'server CPU per GiB', unit: 's', better: 'lower', values: values('serverCpuPerGiB'), baseline: 'nginx' }),
          ],
          runs: r,
          file: { size: big.size },
        })
      } else if (sc.id === 'ranges') {
        const spec = (name) => ({
          identities: [ctx.client],
          connections: 32,
          expect: [206],
          requests: { range: { path: pathsFor(name, big), size: big.size, block: 64 * 1024, host: 'localhost' } },
        })
        const r = await alternate([...systems, bare], ctx.profile.runs, (s) => timedRun(ctx, s, spec(s.name)), ctx.log, { warmup: ctx.profile.warmupRound })
        const values = (key) => withSkip(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, field(v, key)])))
        results.push({
          ...sc,
          status: 'ok',
          rows: [
            makeRow({ metric: 'throughput', unit: 'req/s', better: 'higher', values: values('rps'), baseline: 'nginx', target: { ratio: 0.9 } }),
            makeRow({ metric: 'p99 latency', unit: 'ms', better: 'lower', values: values('p99'), baseline: 'nginx' }),
            makeRow({ metric: 'server CPU per request', unit: 'µs', better: 'lower', values: values('serverCpuUs'), baseline: 'nginx' }),
          ],
          runs: r,
        })
      } else if (sc.id === 'listing') {
        const count = ctx.profile.listingFiles
        ctx.log(`  preparing a folder of ${count} files (kept in ${FIXTURE_ROOT})`)
        const folder = manyFiles(count)
        const r = await alternate(systems, ctx.profile.listingRuns, (s) => listingRun(ctx, s, folder, count), ctx.log)
        const values = (key) => withSkip(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, field(v, key)])))
        const n = count.toLocaleString('en-US')
        results.push({
          ...sc,
          title: sc.title.replace('many files', `${n} files`),
          status: 'ok',
          rows: [
            makeRow({ metric: 'first page (peer: 1,000 entries; nginx: all)', unit: 'ms', better: 'lower', values: values('firstMs'), baseline: 'nginx' }),
            makeRow({ metric: `full walk (${n} entries; peer: pages of 1,000)`, unit: 'ms', better: 'lower', values: values('walkMs'), baseline: 'nginx' }),
          ],
          runs: r,
        })
      }
    }
  } finally {
    for (const s of running.splice(0)) await s.stop()
  }
  return results
}
