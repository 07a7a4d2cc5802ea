// Small statistics helpers. Runs are few (3-7) and noisy, so medians, never means, are what we compare.

/** Median of a list of numbers (NaN for an empty list). */
export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return Number.NaN
  const mid = v.length >> 1
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}

/**
 * Percentile (0-100) of an already sorted typed array or array, nearest-rank method:
 * p99 of 1000 samples is the 990th smallest, a latency some request really had.
 */
export function percentileSorted(sorted, p) {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

/** p50/p90/p99/max of a Float64Array of latencies (ms); sorts a copy. */
export function latencySummary(latencies) {
  const sorted = Float64Array.from(latencies).sort()
  return {
    samples: sorted.length,
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p99: percentileSorted(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
  }
}

/** Lowest and highest of a list, to show the spread of the runs next to their median. */
export function spread(values) {
  const v = values.filter((x) => Number.isFinite(x))
  if (v.length === 0) return { min: Number.NaN, max: Number.NaN }
  return { min: Math.min(...v), max: Math.max(...v) }
}

/** a / b, or NaN when either is missing. */
export function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN
}
