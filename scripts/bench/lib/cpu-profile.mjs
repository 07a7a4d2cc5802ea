// --profile: the Flashback servers run with node --cpu-prof; afterwards the profiles are summed up
// by package and by function (self time), to see where a request's CPU goes.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

function where(url) {
  if (!url) return '(native / V8)'
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (nm) return nm[1]
  if (url.startsWith('node:')) return url
  if (/services\/tracker\/dist\/server\.js/.test(url)) return 'tracker bundle (our code + inlined workspaces)'
  const ws = /\/(services|shared|apps)\/([^/]+)\//.exec(url)
  if (ws) return `${ws[1]}/${ws[2]}`
  return path.basename(url)
}

/** Summaries of every .cpuprofile in `dir`: top packages and functions by self time. */
export function summarizeProfiles(dir, top = 15) {
  const out = []
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const prof = JSON.parse(readFileSync(path.join(dir, file), 'utf8'))
    const self = new Map(prof.nodes.map((n) => [n.id, 0]))
    const dts = prof.timeDeltas
    for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dts[i] ?? 0))
    const byPkg = new Map()
    const byFn = new Map()
    let total = 0
    for (const n of prof.nodes) {
      const t = self.get(n.id) ?? 0
      if (!t) continue
      const cf = n.callFrame
      if (cf.functionName === '(idle)' || cf.functionName === '(program)') continue
      total += t
      const pkg = cf.functionName === '(garbage collector)' ? '(garbage collector)' : where(cf.url)
      byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + t)
      const fn = `${cf.functionName || '(anonymous)'} ${pkg}${cf.url ? `:${cf.lineNumber + 1}` : ''}`
      byFn.set(fn, (byFn.get(fn) ?? 0) + t)
    }
    const rank = (m) =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([k, v]) => ({ name: k, share: v / total }))
    out.push({ file, busyMs: total / 1000, packages: rank(byPkg), functions: rank(byFn) })
  }
  return out
}
