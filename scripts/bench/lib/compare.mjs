// Side-by-side measurement: alternate the systems round by round (rotating who goes first), keep
// every run, and reduce each metric to its median. Ratios are "Flashback vs baseline" oriented so
// that above 1.00x always means Flashback did better (more per second, or less time/latency/memory).
import { median, spread } from './stats.mjs'

/**
 * Runs `measure(system, round)` `runs` times per system, alternating. `systems` is a list of
 * { name, ... }; returns { [name]: measurement[] }. With `warmup`, each system first runs once
 * uncounted: caches, JIT-compiled code and connections pools settle before the first counted run.
 */
export async function alternate(systems, runs, measure, log = () => {}, { warmup = false } = {}) {
  const out = Object.fromEntries(systems.map((s) => [s.name, []]))
  if (warmup) {
    for (const system of systems) {
      const m = await measure(system, -1)
      log(`  warm-up ${system.name} (not counted): ${m.summary ?? ''}`)
    }
  }
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < systems.length; k++) {
      const system = systems[(round + k) % systems.length]
      const m = await measure(system, round)
      out[system.name].push(m)
      log(`  round ${round + 1}/${runs} ${system.name}: ${m.summary ?? ''}`)
    }
  }
  return out
}

function summarizeValues(values) {
  const { min, max } = spread(values)
  return { median: median(values), min, max, runs: values }
}

/**
 * One table row. `values` maps system names to per-run numbers (or `{ skipped: '<why>' }`).
 * `better`: 'higher' or 'lower'. `baseline`: the system the ratio is against.
 */
export function makeRow({ metric, unit, better = 'higher', values, baseline, target, note }) {
  const systems = {}
  for (const [name, v] of Object.entries(values)) {
    systems[name] = Array.isArray(v) ? summarizeValues(v) : v
  }
  const f = systems.flashback?.median
  const b = baseline ? systems[baseline]?.median : undefined
  let ratio = Number.NaN
  if (Number.isFinite(f) && Number.isFinite(b) && f > 0 && b > 0) ratio = better === 'higher' ? f / b : b / f
  const row = { metric, unit, better, systems, baseline, ratio: Number.isFinite(ratio) ? ratio : null }
  if (target !== undefined) {
    row.target = target
    if (row.ratio !== null && target.ratio !== undefined) row.meetsTarget = row.ratio >= target.ratio
    if (target.max !== undefined && Number.isFinite(f)) row.meetsTarget = f <= target.max
  }
  if (note) row.note = note
  return row
}

/** Pulls one numeric field out of each measurement (NaN for failed ones). */
export function field(measurements, key) {
  return measurements.map((m) => (m && m.valid !== false && Number.isFinite(m[key]) ? m[key] : Number.NaN))
}
