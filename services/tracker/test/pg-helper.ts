/**
 * PostgreSQL for tests: the server at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
 * Each test works in a schema of its own, dropped afterwards. When the server is absent the tests skip
 * with a visible message, unless PG_REQUIRED=1 (CI), where its absence is a failure.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Test } from 'tap'

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test'

let available: Promise<string | undefined> | undefined

/** undefined when PostgreSQL answers, else why not. */
export function postgresUnavailable(): Promise<string | undefined> {
  available ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 })
    try {
      await client.connect()
      await client.query('SELECT 1')
      return undefined
    } catch (err) {
      return (err as Error).message || String(err)
    } finally {
      await client.end().catch(() => undefined)
    }
  })()
  return available
}

/**
 * Skip (visibly) or fail when PostgreSQL is absent; returns true when the caller may go on.
 */
export async function requirePostgres(t: Test): Promise<boolean> {
  const why = await postgresUnavailable()
  if (why === undefined) return true
  if (process.env.PG_REQUIRED === '1') {
    t.fail(`PostgreSQL is required (PG_REQUIRED=1) but ${TEST_DATABASE_URL} does not answer: ${why}`)
  } else {
    console.log(`# SKIP PostgreSQL tests: ${TEST_DATABASE_URL} does not answer (${why}); set PG_REQUIRED=1 to make this a failure`)
    t.comment(`PostgreSQL tests skipped: ${why}`)
    t.skip(`PostgreSQL at ${TEST_DATABASE_URL} is not available`, () => undefined)
  }
  return false
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}

export function randomSchema(): string {
  return `fb_test_${randomBytes(6).toString('hex')}`
}

/** A fresh schema name, dropped with `t`'s teardown. */
export function testSchema(t: Test): string {
  const schema = randomSchema()
  t.teardown(() => dropSchema(schema))
  return schema
}

/** DATABASE_URL for a schema of the test database. */
export function schemaUrl(schema: string): string {
  const url = new URL(TEST_DATABASE_URL)
  url.searchParams.set('schema', schema)
  return url.toString()
}
