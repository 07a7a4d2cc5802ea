/**
 * PostgreSQL schema, as an ordered list of migrations (the twin of ../sqlite/migrations.ts).
 * Append new ones at the end with the next version; never edit one that shipped. They run at start,
 * under an advisory lock so replicas starting together migrate once, each in its own transaction.
 */
import { POSTGRES_REGISTRY_MIGRATION } from './registry.js'

export interface PostgresMigration {
  version: number
  name: string
  up: string
}

export const postgresMigrations: PostgresMigration[] = [
  {
    version: 1,
    name: 'clients, broadcasts and rate counters',
    up: `
      CREATE TABLE clients (
        id uuid PRIMARY KEY,
        -- "C" collation: byte order, as SQLite sorts, so paging is identical on both backends.
        email text COLLATE "C" NOT NULL UNIQUE,
        fingerprint text NOT NULL UNIQUE,
        certificate_pem text NOT NULL,
        registered_at bigint NOT NULL
      );
      CREATE TABLE broadcasts (
        client_id uuid PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
        broadcast_id uuid NOT NULL,
        email text COLLATE "C" NOT NULL UNIQUE,
        fingerprint text NOT NULL,
        port integer NOT NULL,
        -- json, not jsonb: kept as sent (key order included); never queried into.
        addresses json NOT NULL,
        capabilities json NOT NULL,
        last_seen bigint NOT NULL,
        expires_at bigint NOT NULL
      );
      CREATE INDEX broadcasts_expires_at ON broadcasts (expires_at);
      CREATE TABLE rate_counters (
        key text PRIMARY KEY,
        window_end bigint NOT NULL,
        count integer NOT NULL
      );
      CREATE INDEX rate_counters_window_end ON rate_counters (window_end);
    `,
  },
  {
    version: 2,
    name: 'file registry (registry_peers, registry_files) and shared secrets',
    up: POSTGRES_REGISTRY_MIGRATION,
  },
]
