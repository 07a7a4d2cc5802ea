// The load generator's process. The orchestrator starts it once (pinned to its own core when
// possible) and sends it specs over IPC; it runs each with one or more threads and answers with the
// merged result. Keeping it out of the orchestrator's process keeps its CPU time measurable alone.
import { Worker } from 'node:worker_threads'
import { emptyCounts, runEngine } from './engine.mjs'

function merge(parts) {
  const out = { ...emptyCounts(), elu: [], statuses: {}, errorSamples: [] }
  let total = 0
  for (const p of parts) {
    out.completed += p.completed
    out.unexpected += p.unexpected
    out.errors += p.errors
    out.aborted ||= p.aborted
    out.bytes += p.bytes
    out.bodyBytes += p.bodyBytes
    out.connects += p.connects
    out.firstStart = Number.isNaN(out.firstStart) ? p.firstStart : Math.min(out.firstStart, p.firstStart)
    out.lastEnd = Number.isNaN(out.lastEnd) ? p.lastEnd : Math.max(out.lastEnd, p.lastEnd)
    out.tls ??= p.tls
    out.elu.push(p.elu)
    for (const [k, v] of Object.entries(p.statuses)) out.statuses[k] = (out.statuses[k] ?? 0) + v
    out.errorSamples.push(...p.errorSamples.slice(0, 5 - out.errorSamples.length))
    total += p.latencies.length
  }
  out.latencies = new Float64Array(total)
  let at = 0
  for (const p of parts) {
    out.latencies.set(p.latencies, at)
    at += p.latencies.length
  }
  return out
}

async function run(spec, threads) {
  const shared = new Int32Array(new SharedArrayBuffer(8))
  const n = Math.max(1, Math.min(threads, spec.connections))
  if (n === 1) return merge([await runEngine({ ...spec, connectionOffset: 0 }, shared)])
  const parts = []
  let offset = 0
  for (let t = 0; t < n; t++) {
    const count = Math.floor(spec.connections / n) + (t < spec.connections % n ? 1 : 0)
    const part = { ...spec, connections: count, connectionOffset: offset, seed: spec.seed + t * 7919 }
    offset += count
    parts.push(
      new Promise((resolve, reject) => {
        const w = new Worker(new URL('./thread.mjs', import.meta.url), { workerData: { spec: part, shared } })
        w.once('message', resolve)
        w.once('error', reject)
      }),
    )
  }
  return merge(await Promise.all(parts))
}

process.on('message', (msg) => {
  if (msg?.type !== 'run') return
  run(msg.spec, msg.threads ?? 1).then(
    (result) => process.send({ type: 'result', id: msg.id, result }),
    (err) => process.send({ type: 'error', id: msg.id, message: err?.stack ?? String(err) }),
  )
})
process.on('disconnect', () => process.exit(0))
process.send({ type: 'ready' })
