/**
 * SQLite schema, as an ordered list of migrations. Append new ones (next version number) at the
 * end; never edit one that shipped. Each runs once, in its own transaction, recorded in
 * schema_migrations.
 */
import type Database from 'better-sqlite3'
import { SQLITE_REGISTRY_MIGRATION } from './registry.js'

export interface SqliteMigration {
  version: number
  name: string
  up: string | ((db: Database.Database) => void)
}

export const sqliteMigrations: SqliteMigration[] = [
  {
    version: 1,
    name: 'clients, broadcasts and rate counters',
    up: `
      CREATE TABLE clients (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        fingerprint TEXT NOT NULL UNIQUE,
        certificate_pem TEXT NOT NULL,
        registered_at INTEGER NOT NULL
      );
      -- One broadcast per client. e-mail and fingerprint are copied from clients (they never change)
      -- so lookups and keyset paging by e-mail read one table.
      CREATE TABLE broadcasts (
        client_id TEXT PRIMARY KEY REFERENCES clients(id) ON DELETE CASCADE,
        broadcast_id TEXT NOT NULL,
        email TEXT NOT NULL UNIQUE,
        fingerprint TEXT NOT NULL,
        port INTEGER NOT NULL,
        addresses TEXT NOT NULL,
        capabilities TEXT NOT NULL,
        last_seen INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX broadcasts_expires_at ON broadcasts (expires_at);
      CREATE TABLE rate_counters (
        key TEXT PRIMARY KEY,
        window_end INTEGER NOT NULL,
        count INTEGER NOT NULL
      );
      CREATE INDEX rate_counters_window_end ON rate_counters (window_end);
    `,
  },
  {
    version: 2,
    name: 'file registry (registry_peers, registry_files) and shared secrets',
    up: SQLITE_REGISTRY_MIGRATION,
  },
]
