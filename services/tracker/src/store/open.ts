/** Open the store a DATABASE_URL names: `sqlite:<path>` or `postgres://…`. */
import { sqlitePathOf } from '../config.js'
import { SqliteStore } from './sqlite/index.js'
import type { TrackerStore } from './types.js'

export interface OpenStoreOptions {
  databaseUrl: string
  /** PostgreSQL pool size. */
  poolMax?: number
}

export async function openStore(options: OpenStoreOptions): Promise<TrackerStore> {
  const url = options.databaseUrl
  if (url.startsWith('sqlite:')) return new SqliteStore({ path: sqlitePathOf(url) })
  if (/^postgres(ql)?:\/\//.test(url)) {
    throw new Error('the PostgreSQL store is not available in this build')
  }
  throw new Error(`unsupported DATABASE_URL scheme: ${url.split(':')[0] ?? ''}`)
}
