// One timed load run against one server, reduced to the numbers the tables use.

/**
 * Runs `spec` on the load generator against `server` ({ name, port, pid }) for the context's warm-up
 * and window. Returns { rps, mbps, p50, p99, serverCpuUs (server CPU microseconds per request),
 * serverCores, genCores, genElu, valid, ... }.
 */
export async function timedRun(ctx, server, spec, { durationMs = ctx.profile.durationMs, warmupMs = ctx.profile.warmupMs } = {}) {
  const r = await ctx.gen.run(
    { tlsOptions: ctx.tlsOptions, ...spec, port: server.port },
    { warmupMs, durationMs, watch: { server: server.pid } },
  )
  return reduce(r, durationMs)
}

export function reduce(r, windowMs = r.windowMs) {
  const seconds = windowMs / 1000
  const bad = r.unexpected + r.errors
  const valid = !r.aborted && r.completed > 0 && bad <= Math.max(1, r.completed * 0.01)
  const m = {
    valid,
    completed: r.completed,
    rps: r.rps,
    mbps: r.mbps,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    serverCpuUs: r.completed ? (r.cpu.server / r.completed) * 1e6 : Number.NaN,
    serverCores: r.cpu.server / seconds,
    genCores: r.cpu.loadgen / seconds,
    genElu: r.elu.length ? r.elu.reduce((a, b) => a + b, 0) / r.elu.length : Number.NaN,
    errors: r.errors,
    unexpected: r.unexpected,
    statuses: r.statuses,
    errorSamples: r.errorSamples,
    tls: r.tls,
  }
  m.summary = valid
    ? `${Math.round(m.rps)} req/s, p99 ${m.p99.toFixed(2)} ms, server ${m.serverCores.toFixed(2)} cores, generator ${m.genCores.toFixed(2)} cores`
    : `INVALID: ${r.completed} done, ${r.errors} errors, ${r.unexpected} unexpected ${JSON.stringify(r.statuses)} ${r.errorSamples.join(' | ')}`
  return m
}
