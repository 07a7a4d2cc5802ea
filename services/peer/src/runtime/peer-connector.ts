/**
 * Reaching a peer: find it, connect to it over mutual TLS, prove it is who the tracker says.
 *
 * 1. A live connection pool for the peer is reused.
 * 2. Else the address cached in the profile (the one that answered last time) is tried alone.
 * 3. Else (or when that fails) the tracker is asked (`lookup`), and the published addresses are raced
 *    Happy-Eyeballs style in the order loopback → LAN → other IPv6 → public, the next attempt starting
 *    after `staggerMs` unless the previous one already connected. The first TLS connection whose server
 *    certificate has the published fingerprint wins; a server with another certificate is an impostor:
 *    that attempt fails and its socket is never used. The winner is cached (persisted) for next time.
 *
 * For friends the fingerprint saved with the friend is the one pinned; a tracker publishing another one
 * is reported (FingerprintChangedError) rather than trusted.
 */
import { type TLSSocket } from 'node:tls'
import { Pool, type Dispatcher } from 'undici'
import { orderAddresses } from './address-order.js'
import {
  FingerprintChangedError,
  ImpostorError,
  PeerOfflineError,
  PeerUnreachableError,
  formatHostPort,
  type AttemptFailure,
} from './errors.js'
import { AllAttemptsFailedError, DEFAULT_STAGGER_MS, raceConnections } from './happy-eyeballs.js'
import { silentLogger, type Logger } from './logger.js'
import { connectTls, type ClientCertificate } from './tls-connect.js'
import { type TrackerClient } from './tracker-client.js'

/** Where the connector remembers which address answered (the profile implements it). */
export interface AddressCache {
  cachedAddress(email: string): { address: string; port: number; fingerprint: string } | undefined
  cacheAddress(email: string, entry: { address: string; port: number; fingerprint: string }): Promise<void>
  forgetAddress(email: string): Promise<void>
}

export interface PeerConnectorOptions {
  client: ClientCertificate
  tracker: TrackerClient
  cache: AddressCache
  /** The fingerprint we insist on for `email` (a friend's), if any. */
  expectedFingerprint?: (email: string) => string | undefined
  /** This peer itself (its own server on loopback), so visiting yourself needs no tracker. */
  self?: () => { email: string; fingerprint: string; port: number } | undefined
  staggerMs?: number
  connectTimeoutMs?: number
  /** Headers and idle-body timeout of requests to peers (default 30 s). */
  requestTimeoutMs?: number
  /** Pools kept open at most (least recently used closed first; default 64). */
  maxPools?: number
  logger?: Logger
}

/** An open route to one verified peer: an undici pool whose every socket is pinned to its certificate. */
export class PeerConnection {
  readonly email: string
  readonly fingerprint: string
  readonly address: string
  readonly port: number
  readonly pool: Pool

  constructor(options: { email: string; fingerprint: string; address: string; port: number; socket: TLSSocket; client: ClientCertificate; connectTimeoutMs: number; requestTimeoutMs: number }) {
    this.email = options.email
    this.fingerprint = options.fingerprint
    this.address = options.address
    this.port = options.port
    let first: TLSSocket | undefined = options.socket
    const verify = { kind: 'fingerprint' as const, fingerprint: options.fingerprint }
    this.pool = new Pool(`https://${formatHostPort(options.address, options.port)}`, {
      connections: 8,
      keepAliveTimeout: 30_000,
      headersTimeout: options.requestTimeoutMs,
      bodyTimeout: options.requestTimeoutMs,
      connect: (_opts, callback) => {
        // The race already holds a verified socket: the first request uses it instead of dialling again.
        const ready = first
        first = undefined
        if (ready && !ready.destroyed && ready.readyState === 'open') {
          // Never call back synchronously: undici is inside its own resume() here and would not
          // dispatch the waiting request until some later socket event.
          process.nextTick(() => callback(null, ready))
          return
        }
        ready?.destroy()
        connectTls({ host: options.address, port: options.port, client: options.client, verify, timeoutMs: options.connectTimeoutMs }).then(
          (socket) => callback(null, socket),
          (err: Error) => callback(err, null),
        )
      },
    })
    // A pool that never used its first socket must still release it.
    this.#release = () => first?.destroy()
  }

  readonly #release: () => void

  request(options: Omit<Dispatcher.RequestOptions, 'origin'>): Promise<Dispatcher.ResponseData> {
    return this.pool.request(options)
  }

  async close(): Promise<void> {
    this.#release()
    await this.pool.destroy().catch(() => {})
  }
}

const CONNECTION_FAILURE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/** A failure to reach the peer at all (as opposed to an answer we did not like): worth a fresh lookup. */
export function isConnectionFailure(err: unknown): boolean {
  if (err instanceof ImpostorError) return true
  let current: unknown = err
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code
    if (code && CONNECTION_FAILURE_CODES.has(code)) return true
    if (current instanceof ImpostorError) return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}

export class PeerConnector {
  readonly #client: ClientCertificate
  readonly #tracker: TrackerClient
  readonly #cache: AddressCache
  readonly #expected: (email: string) => string | undefined
  readonly #self: () => { email: string; fingerprint: string; port: number } | undefined
  readonly #staggerMs: number
  readonly #connectTimeoutMs: number
  readonly #requestTimeoutMs: number
  readonly #maxPools: number
  readonly #logger: Logger
  /** Live pools by lower-cased e-mail, least recently used first. */
  readonly #pools = new Map<string, PeerConnection>()
  /** Resolutions in progress, so concurrent visits to one peer share one race. */
  readonly #pending = new Map<string, Promise<PeerConnection>>()
  #closed = false

  constructor(options: PeerConnectorOptions) {
    this.#client = options.client
    this.#tracker = options.tracker
    this.#cache = options.cache
    this.#expected = options.expectedFingerprint ?? (() => undefined)
    this.#self = options.self ?? (() => undefined)
    this.#staggerMs = options.staggerMs ?? DEFAULT_STAGGER_MS
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5000
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000
    this.#maxPools = options.maxPools ?? 64
    this.#logger = options.logger ?? silentLogger
  }

  /** A verified connection to the peer (reused, cached address, or tracker lookup + race). */
  async connect(email: string, options: { signal?: AbortSignal; skipCache?: boolean } = {}): Promise<PeerConnection> {
    if (this.#closed) throw new Error('the peer connector is closed')
    const key = email.toLowerCase()
    const live = this.#pools.get(key)
    if (live) {
      this.#pools.delete(key)
      this.#pools.set(key, live)
      return live
    }
    let pending = this.#pending.get(key)
    if (!pending) {
      pending = this.#resolve(email, options).finally(() => this.#pending.delete(key))
      this.#pending.set(key, pending)
    }
    return pending
  }

  /**
   * Run `fn` against the peer. When it fails because the peer could not be reached (refused, reset,
   * timed out, impostor), the connection and the cached address are dropped and `fn` runs once more
   * on a fresh tracker lookup.
   */
  async withPeer<T>(email: string, fn: (connection: PeerConnection) => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    const connection = await this.connect(email, options)
    try {
      return await fn(connection)
    } catch (err) {
      if (options.signal?.aborted || !isConnectionFailure(err)) throw err
      this.#logger.info({ email, address: connection.address, err: (err as Error).message }, 'peer connection failed, looking it up again')
      await this.invalidate(email, { forgetAddress: true })
      const fresh = await this.connect(email, { ...options, skipCache: true })
      return fn(fresh)
    }
  }

  /** Drop the live connection (and optionally the cached address) of a peer. */
  async invalidate(email: string, options: { forgetAddress?: boolean } = {}): Promise<void> {
    const key = email.toLowerCase()
    const live = this.#pools.get(key)
    this.#pools.delete(key)
    if (options.forgetAddress) await this.#cache.forgetAddress(email).catch(() => {})
    await live?.close()
  }

  async close(): Promise<void> {
    this.#closed = true
    const pools = [...this.#pools.values()]
    this.#pools.clear()
    await Promise.all(pools.map((p) => p.close()))
  }

  async #resolve(email: string, options: { signal?: AbortSignal; skipCache?: boolean }): Promise<PeerConnection> {
    const failures: AttemptFailure[] = []
    const expected = this.#expected(email)

    const self = this.#self()
    if (self && self.email.toLowerCase() === email.toLowerCase()) {
      return this.#dialOne(email, { address: '127.0.0.1', port: self.port, fingerprint: self.fingerprint }, options.signal).catch((err: Error) => {
        throw new PeerUnreachableError(email, [{ address: '127.0.0.1', port: self.port, error: err }])
      })
    }

    const cached = options.skipCache ? undefined : this.#cache.cachedAddress(email)
    if (cached && (expected === undefined || cached.fingerprint === expected)) {
      try {
        const connection = await this.#dialOne(email, cached, options.signal)
        this.#logger.debug({ email, address: cached.address, port: cached.port }, 'peer reached at its cached address')
        return connection
      } catch (err) {
        if (options.signal?.aborted) throw err
        failures.push({ address: cached.address, port: cached.port, error: err as Error })
      }
    }

    const broadcast = await this.#tracker.lookup(email, options.signal)
    if (!broadcast) throw new PeerOfflineError(email)
    if (expected !== undefined && broadcast.fingerprint !== expected) {
      throw new FingerprintChangedError(email, expected, broadcast.fingerprint)
    }
    const tried = new Set(failures.map((f) => `${f.address}|${f.port}`))
    const candidates = orderAddresses(broadcast.addresses, cached?.address)
      .map((address) => ({ address, port: broadcast.port }))
      // The cached address was just tried: it is not tried twice in one visit.
      .filter((c) => !tried.has(`${c.address}|${c.port}`))
    if (candidates.length === 0) throw new PeerUnreachableError(email, failures)

    let result
    try {
      result = await raceConnections(
        candidates,
        (candidate, signal) =>
          connectTls({
            host: candidate.address,
            port: candidate.port,
            client: this.#client,
            verify: { kind: 'fingerprint', fingerprint: broadcast.fingerprint },
            timeoutMs: this.#connectTimeoutMs,
            signal: options.signal ? AbortSignal.any([signal, options.signal]) : signal,
          }),
        { staggerMs: this.#staggerMs, signal: options.signal, dispose: (socket) => socket.destroy() },
      )
    } catch (err) {
      if (err instanceof AllAttemptsFailedError) {
        const all = [...failures, ...err.failures]
        for (const f of err.failures) {
          if (f.error instanceof ImpostorError) this.#logger.warn({ email, address: f.address, port: f.port, presented: f.error.actual }, 'impostor: wrong certificate, address ignored')
        }
        throw new PeerUnreachableError(email, all)
      }
      throw err
    }
    for (const f of result.failures) {
      if (f.error instanceof ImpostorError) this.#logger.warn({ email, address: f.address, port: f.port, presented: f.error.actual }, 'impostor: wrong certificate, address ignored')
    }
    const entry = { address: result.winner.address, port: result.winner.port, fingerprint: broadcast.fingerprint }
    await this.#cache.cacheAddress(email, entry).catch((err: unknown) => this.#logger.warn({ err: (err as Error).message }, 'could not save the peer address cache'))
    this.#logger.debug({ email, address: entry.address, port: entry.port }, 'peer reached')
    return this.#adopt(email, entry, result.value)
  }

  async #dialOne(email: string, target: { address: string; port: number; fingerprint: string }, signal: AbortSignal | undefined): Promise<PeerConnection> {
    const socket = await connectTls({
      host: target.address,
      port: target.port,
      client: this.#client,
      verify: { kind: 'fingerprint', fingerprint: target.fingerprint },
      timeoutMs: this.#connectTimeoutMs,
      signal,
    })
    return this.#adopt(email, target, socket)
  }

  #adopt(email: string, target: { address: string; port: number; fingerprint: string }, socket: TLSSocket): PeerConnection {
    const connection = new PeerConnection({
      email,
      ...target,
      socket,
      client: this.#client,
      connectTimeoutMs: this.#connectTimeoutMs,
      requestTimeoutMs: this.#requestTimeoutMs,
    })
    const key = email.toLowerCase()
    const previous = this.#pools.get(key)
    this.#pools.delete(key)
    this.#pools.set(key, connection)
    if (previous && previous !== connection) void previous.close()
    while (this.#pools.size > this.#maxPools) {
      const oldest = this.#pools.entries().next()
      if (oldest.done) break
      this.#pools.delete(oldest.value[0])
      void oldest.value[1].close()
    }
    if (this.#closed) void connection.close()
    return connection
  }
}
