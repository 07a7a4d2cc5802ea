// The Markdown table (printed, and pasted into docs/benchmarks.md) and the JSON results file.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const NAMES = { stdiscosrv: 'stdiscosrv', nginx: 'nginx', sqlite: 'SQLite', wrk: 'wrk', 'bare-node': 'bare Node' }

export function formatValue(v, unit) {
  if (v === undefined || v === null || !Number.isFinite(v)) return '—'
  const grouped = (x) => Math.round(x).toLocaleString('en-US')
  switch (unit) {
    case 'req/s':
    case 'conn/s':
    case 'MB/s':
    case 'µs':
      return `${v >= 100 ? grouped(v) : v.toFixed(1)} ${unit}`
    case 'ms':
      return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : grouped(v)} ms`
    case 's':
      return `${v < 10 ? v.toFixed(2) : v.toFixed(1)} s`
    case 'MiB':
      return `${v.toFixed(1)} MiB`
    default:
      return `${v.toPrecision(3)} ${unit}`
  }
}

function cell(system, unit) {
  if (!system) return ''
  if (system.skipped) return `skipped (${system.skipped})`
  return formatValue(system.median, unit)
}

function targetCell(row) {
  if (!row.target) return ''
  const want = row.target.ratio !== undefined ? `≥ ${row.target.ratio.toFixed(1)}×` : `< ${row.target.max} ${row.unit}`
  if (row.meetsTarget === undefined) return want
  return `${want} ${row.meetsTarget ? 'met' : '**missed**'}`
}

const esc = (s) => String(s).replace(/\|/g, '\\|')

/** The results table in Markdown. */
export function markdownTable(results) {
  const lines = [
    '| # | Scenario | Metric | Flashback | Baseline | Flashback vs baseline | Bare Node | Target |',
    '|---|---|---|---:|---:|---:|---:|---|',
  ]
  for (const sc of results) {
    if (sc.status !== 'ok') {
      const why = sc.reason ?? 'no result'
      lines.push(`| ${sc.number} | ${esc(sc.title)} | — | ${sc.status}: ${esc(why)}${sc.install ? ` (install: \`${sc.install}\`)` : ''} | | | | |`)
      continue
    }
    sc.rows.forEach((row, i) => {
      const subject = row.systems.flashback
      const base = row.baseline ? row.systems[row.baseline] : undefined
      const baseName = row.baseline ? (NAMES[row.baseline] ?? row.baseline) : ''
      const subjectText = `${sc.subjectLabel ? `${sc.subjectLabel}: ` : ''}${cell(subject, row.unit)}`
      const baseText = base ? (base.skipped ? `${baseName}: ${cell(base, row.unit)}` : `${baseName}: ${cell(base, row.unit)}`) : ''
      const ratio = row.ratio === null || row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}×`
      lines.push(
        `| ${i === 0 ? sc.number : ''} | ${i === 0 ? esc(sc.title) : ''} | ${esc(row.metric)} | ${esc(subjectText)} | ${esc(baseText)} | ${ratio} | ${esc(cell(row.systems['bare-node'], row.unit))} | ${targetCell(row)} |`,
      )
    })
  }
  lines.push('')
  lines.push('Medians of alternating runs. "Flashback vs baseline" above 1.00× means Flashback did better: more per second, or less time, latency, CPU or memory.')
  return lines.join('\n')
}

/** Writes the JSON results; returns the file path. */
export function writeJson(dir, report) {
  mkdirSync(dir, { recursive: true })
  const stamp = report.startedAt.replace(/[:.]/g, '-').replace(/Z$/, 'Z')
  const file = path.join(dir, `${stamp}-${report.mode}.json`)
  writeFileSync(file, JSON.stringify(report, (k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n')
  return file
}

/** The conditions of a run, for docs/benchmarks.md. */
export function markdownMachine(report) {
  const m = report.machine
  const f = (x, d = 2) => (typeof x === 'number' ? x.toFixed(d) : '?')
  return [
    `- Run: \`npm run bench${report.mode === 'quick' ? ' -- --quick' : ''}\` at ${report.startedAt} on commit ${m.git}, ${Math.round(report.durationS)} s in all.`,
    `- Machine: ${m.cpu} (${m.cores} vCPUs), ${m.memoryGiB} GiB, ${m.os}, ${m.kernel}${m.virtualization ? `, ${m.virtualization}` : ''}.`,
    `- Software: Node ${m.node} (OpenSSL ${m.openssl}), ${m.nginx || 'nginx ?'}, ${m.stdiscosrv ?? 'stdiscosrv ?'}, ${m.wrk ?? 'wrk ?'}.`,
    `- Settings: ${report.settings.runs} alternating runs per system${report.settings.warmupRound ? ' after one uncounted warm-up run each' : ''}, ${report.settings.warmupMs} ms warm-up + ${report.settings.durationMs} ms measured each; ${report.settings.pinned ? 'servers pinned to CPU 0, load generator to CPU 1' : 'no pinning'}; ${report.settings.tls}.`,
    `- Other tenants: ${f(m.backgroundCoresBusyBefore)} of ${m.cores} cores busy in the second before the run, ${f(m.backgroundCoresBusyAfter)} after it; load average ${m.loadAverageAtStart?.map((x) => x.toFixed(1)).join(' / ')} at the start, ${m.loadAverageAtEnd?.map((x) => x.toFixed(1)).join(' / ')} at the end; the CPUs were ${f((m.cpuBusyDuringRun ?? NaN) * 100, 0)} % busy during the run (ours and theirs).`,
  ].join('\n')
}
