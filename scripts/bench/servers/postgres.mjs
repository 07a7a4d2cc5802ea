// A throwaway PostgreSQL database for issue 7's comparison, on the server the tests use
// (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres).
// Created fresh for the run and dropped after it.

const INSTALL = 'apt-get install -y postgresql && service postgresql start'

function redact(url) {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(unparseable URL)'
  }
}

export async function startPostgres(ctx) {
  const base = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  let pg
  try {
    pg = (await import('pg')).default
  } catch {
    return { ok: false, reason: 'the pg package is not installed (npm ci)' }
  }
  const admin = new pg.Client({ connectionString: base, connectionTimeoutMillis: 3000 })
  try {
    await admin.connect()
  } catch (err) {
    return { ok: false, reason: `no PostgreSQL answers at ${redact(base)} (${err.code ?? err.message})`, install: INSTALL }
  }
  const name = `flashback_bench_${process.pid}_${Date.now() % 100000}`
  let version
  try {
    version = (await admin.query('SHOW server_version')).rows[0].server_version
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(base)
  url.pathname = `/${name}`
  ctx.log(`  PostgreSQL ${version}: database ${name}`)
  return {
    ok: true,
    url: url.toString(),
    describe: `PostgreSQL ${version} at ${redact(base).replace(/\/[^/]*$/, '')}`,
    drop: async () => {
      const c = new pg.Client({ connectionString: base })
      try {
        await c.connect()
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } catch (err) {
        ctx.log(`  could not drop ${name}: ${err.message}`)
      } finally {
        await c.end().catch(() => {})
      }
    },
  }
}
