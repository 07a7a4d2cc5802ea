/** Open the store a DATABASE_URL names: `sqlite:<path>` or `postgres://…`. */
import { sqlitePathOf } from '../config.js'
import { PostgresStore } from './postgres/index.js'
import { SqliteStore } from './sqlite/index.js'
import type { TrackerStore } from './types.js'

export interface OpenStoreOptions {
  databaseUrl: string
  /** PostgreSQL pool size. */
  poolMax?: number
  /** Errors of idle PostgreSQL connections (logged by the caller). */
  onError?: (err: Error) => void
}

export async function openStore(options: OpenStoreOptions): Promise<TrackerStore> {
  const url = options.databaseUrl
  if (url.startsWith('sqlite:')) return new SqliteStore({ path: sqlitePathOf(url) })
  if (/^postgres(ql)?:\/\//.test(url)) {
    return PostgresStore.open({
      connectionString: url,
      ...(options.poolMax === undefined ? {} : { poolMax: options.poolMax }),
      ...(options.onError ? { onError: options.onError } : {}),
    })
  }
  throw new Error(`unsupported DATABASE_URL scheme: ${url.split(':')[0] ?? ''}`)
}
