/**
 * The tracker's storage, as an async interface so SQLite (in-process, synchronous underneath) and
 * PostgreSQL (networked, pooled) fit it unchanged. Times are milliseconds since the epoch, passed in
 * by the caller: the store never reads the clock, which keeps expiry testable and replicas consistent.
 *
 * Later features (the file registry, …) add methods here and to each backend, with their tables in a
 * new migration appended to each backend's list.
 */

export interface ClientRecord {
  /** Stable id handed out at registration (UUID). */
  id: string
  /** Lower-cased e-mail address. */
  email: string
  /** SHA-256 of the certificate DER, lower-case hex. */
  fingerprint: string
  certificatePem: string
  registeredAt: number
}

/** A ready's broadcast. The store may keep `addresses` and `capabilities` in the record it returns: hand them over, do not change them after. */
export interface BroadcastInput {
  clientId: string
  email: string
  fingerprint: string
  port: number
  /** Normalised IP literals. */
  addresses: string[]
  capabilities: Record<string, unknown>
  now: number
  expiresAt: number
}

export interface BroadcastRecord {
  /** New for every ready. */
  broadcastId: string
  clientId: string
  email: string
  fingerprint: string
  port: number
  addresses: string[]
  capabilities: Record<string, unknown>
  lastSeen: number
  expiresAt: number
}

export type RegisterResult =
  | { outcome: 'created' | 'existing'; client: ClientRecord }
  | { outcome: 'email_taken'; client: ClientRecord }
  | { outcome: 'certificate_taken'; client: ClientRecord }

export interface ListOptions {
  now: number
  limit: number
  /** Only broadcasts whose e-mail sorts after this one (keyset paging). */
  afterEmail?: string | undefined
}

/** A sliding fixed-window hit counter (rate limits that hold across replicas). */
export interface CounterHit {
  /** Hits in the current window, this one included. */
  count: number
  /** When the current window ends (ms). */
  resetAt: number
}

export interface TrackerStore extends RegistryStore {
  readonly backend: 'sqlite' | 'postgres'
  /** Cheap round trip to the database (health checks). */
  ping(): Promise<void>
  close(): Promise<void>

  /**
   * Register an identity. Idempotent for the same e-mail + fingerprint; refuses an e-mail bound to
   * another certificate and a certificate bound to another e-mail. Safe under concurrent calls.
   */
  registerClient(input: { email: string; fingerprint: string; certificatePem: string; now: number }): Promise<RegisterResult>
  getClientByFingerprint(fingerprint: string): Promise<ClientRecord | undefined>
  getClientByEmail(email: string): Promise<ClientRecord | undefined>
  countClients(): Promise<number>

  /** Create or replace the client's one broadcast (a new broadcast id every time). */
  upsertBroadcast(input: BroadcastInput): Promise<BroadcastRecord>
  /** The live broadcast of an e-mail; expired ones are never returned, swept or not. */
  getBroadcastByEmail(email: string, now: number): Promise<BroadcastRecord | undefined>
  /** Live broadcasts ordered by e-mail. */
  listBroadcasts(options: ListOptions): Promise<BroadcastRecord[]>
  /** Push a live broadcast's expiry to `expiresAt`; undefined when the client has none alive. */
  touchBroadcast(clientId: string, now: number, expiresAt: number): Promise<BroadcastRecord | undefined>
  /** Remove the client's broadcast at once; true when there was one (expired or not). */
  deleteBroadcast(clientId: string): Promise<boolean>
  countOnline(now: number): Promise<number>
  /** Delete at most `limit` broadcasts that expired at or before `now`; returns how many went. */
  deleteExpiredBroadcasts(now: number, limit: number): Promise<number>
  /**
   * Awaited before every batch of a bulk delete (the sweeper's): resolves when the next batch can run
   * without a stall. SQLite: now and then waits for the checkpointer thread to copy the WAL. Optional.
   */
  settleWrites?(): Promise<void>

  /**
   * Run `task` only if no other process sharing this database runs a task under the same name
   * (PostgreSQL: an advisory lock; SQLite: one process owns the file, so in-process exclusion).
   * Returns `{ ran: false }` when the lock is held elsewhere.
   */
  runExclusive<T>(name: string, task: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }>

  /** Count a hit on `key` in the fixed window of `windowMs` containing `now`. */
  hitCounter(key: string, windowMs: number, now: number): Promise<CounterHit>
  /** Forget counter windows that ended before `now`. */
  deleteStaleCounters(now: number, limit: number): Promise<number>
}

// ---- the file registry (who has which file) and shared secrets ----

export interface RegistryFileInput {
  /** Path inside the publisher's share. */
  path: string
  name: string
  /** Lower-case hex. */
  sha256: string
  size: number
}

export interface RegistryPublishInput {
  client: Pick<ClientRecord, 'id' | 'email' | 'fingerprint'>
  /** Distinct paths (the caller dedupes; the last entry for a path wins). */
  files: RegistryFileInput[]
  now: number
  /** Store nothing when the caller would then hold more entries than this. */
  maxFiles: number
}

export type RegistryPublishResult =
  | { outcome: 'stored'; stored: number; total: number }
  | { outcome: 'quota_exceeded'; total: number }

/** Keyset position of a search page: online publishers first, then e-mail, then path. */
export interface RegistryCursor {
  online: boolean
  email: string
  path: string
}

export interface RegistrySearch {
  /** `name`: case-insensitive substring of the file name (value lower-cased); `exact_name`; `sha256` (lower-case hex). */
  by: 'name' | 'exact_name' | 'sha256'
  value: string
  now: number
  limit: number
  after?: RegistryCursor | undefined
}

export interface RegistryHit {
  email: string
  fingerprint: string
  path: string
  name: string
  sha256: string
  size: number
  /** The publisher has a live broadcast at `now`. */
  online: boolean
}

export interface RegistryStatsRecord {
  files: number
  hashes: number
  peers: number
}

/** The registry's part of the store (every backend implements it). */
export interface RegistryStore {
  /** Add or update entries of one identity (one transaction); refreshes its last-online time. */
  publishFiles(input: RegistryPublishInput): Promise<RegistryPublishResult>
  /** Remove the identity's entries at these paths; returns how many went. */
  unpublishFiles(clientId: string, paths: readonly string[]): Promise<number>
  /** Remove every entry of the identity. */
  unpublishAll(clientId: string): Promise<number>
  /** The older design's remove: entries whose path or name is `filename` (and, when given, whose hash is `sha256`). */
  unpublishByName(clientId: string, filename: string, sha256?: string): Promise<number>
  /** One page of hits, online publishers first, then by e-mail and path. */
  searchRegistry(search: RegistrySearch): Promise<RegistryHit[]>
  registryStats(): Promise<RegistryStatsRecord>
  /** Distinct file names in byte order, after `afterName`. */
  registryNames(options: { limit: number; afterName?: string | undefined }): Promise<string[]>
  /**
   * Remember, for publishers with a live broadcast at `now`, when that broadcast expires (the moment
   * they will count as offline). At most `limit` publishers per call; returns how many were updated.
   */
  refreshRegistryOnline(now: number, limit: number): Promise<number>
  /**
   * Delete at most `limit` entries of publishers offline since `cutoff` or earlier (no live broadcast
   * at `now`), then publishers left without entries. Returns how many rows went.
   */
  deleteOfflineRegistryEntries(cutoff: number, now: number, limit: number): Promise<number>
  /**
   * A secret shared by every replica (e.g. the matchmaker's HMAC key): the stored one, or `candidate`
   * stored now when there is none yet (the first writer wins).
   */
  sharedSecret(name: string, candidate: Uint8Array, now: number): Promise<Buffer>
}
