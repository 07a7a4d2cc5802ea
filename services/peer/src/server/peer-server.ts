/**
 * The peer server: HTTPS with the peer's own certificate, always asking for the visitor's, serving one
 * folder (the share root) read-only. A plain Node library: the desktop app's main process and the
 * headless CLI peer embed it the same way.
 *
 *   const server = await startPeerServer({ root, identity })
 *   server.port; server.addresses; await server.close()
 *
 * or, to hear the ready event: `const s = createPeerServer(opts); s.on('ready', …); await s.listen()`.
 */
import { EventEmitter } from 'node:events'
import { opendir, stat } from 'node:fs/promises'
import { STATUS_CODES } from 'node:http'
import { createServer, type Server } from 'node:https'
import { type Duplex } from 'node:stream'
import { type AddressInfo, type Socket } from 'node:net'
import { normalizeFingerprint } from '@flashback/identity'
import { ErrorCode, type AccessPolicy, type PeerServerReady } from '@flashback/protocol'
import { AccessControl, type FriendsList, type IdentityLookup } from './access.js'
import { announcedAddresses } from './addresses.js'
import { BufferPool, DEFAULT_CHUNK_SIZE } from './file-stream.js'
import { IndexCache, type ListingOptions } from './listing.js'
import { MetadataFs } from './metadata-fs.js'
import { OpenFileCache, type OpenFileCacheOptions } from './open-file-cache.js'
import { silentLogger, type Logger } from './logger.js'
import { resolveShareRoot, type ShareRoot } from './path-guard.js'
import { createRequestHandler, type RouterContext } from './router.js'
import { ensureWelcomePage } from './welcome-page.js'

export interface PeerIdentity {
  certPem: string
  keyPem: string
  email: string
  /** SHA-256 of the certificate DER, lower-case hex. */
  fingerprint: string
}

export interface PeerServerOptions {
  /** The folder to share. Must exist; its own path may contain symlinks. */
  root: string
  identity: PeerIdentity
  /** Listen on every IPv4 and IPv6 interface instead of 127.0.0.1. */
  bindAll?: boolean
  /** 0 (default) lets the OS choose. */
  port?: number
  /** Default: 'open' on loopback, 'registered' with bindAll. 'open' with bindAll is refused. */
  access?: AccessPolicy
  /** Serve and list names starting with '.' (default false). */
  showDotfiles?: boolean
  /** For 'registered': the fingerprint the tracker holds for an e-mail (see createTrackerIdentityLookup). */
  lookupIdentity?: IdentityLookup
  /** For 'friends'. */
  friends?: FriendsList
  logger?: Logger
  /** Write index.md into an empty-of-it share root at start (default true). */
  welcomePage?: boolean
  /** Bytes per file read on downloads (default 512 KiB). */
  chunkSize?: number
  /** A connection with no traffic either way for this long is closed (default 120 s). */
  idleTimeoutMs?: number
  /** Accepted connections at once (default 1024). */
  maxConnections?: number
  /**
   * Make a download's realpath/open/fstat/close calls, and a listing page's lstat calls, synchronously
   * while they stay fast (default true: ~30% less CPU per small request, 5-10x faster big pages; 3 calls
   * over 4 ms within 100 switch to the thread pool for 30 s).
   */
  syncMetadata?: boolean
  /** stat calls in flight per listing (default 32). */
  statConcurrency?: number
  /**
   * Keep recently served files open and their path checks for a moment (default `{ ttlMs: 1000,
   * max: 128 }`; `false` turns it off). Each request still re-validates the file (same inode at its
   * real path, fresh fstat): see open-file-cache.ts for what the TTL bounds.
   */
  openFileCache?: OpenFileCacheOptions | false
  onReady?: (ready: PeerServerReady) => void
}

export interface PeerServerEvents {
  ready: [PeerServerReady]
  close: []
}

const isLoopbackHost = (bindAll: boolean): boolean => !bindAll

/**
 * A request Node's HTTP parser refused (bad request line, headers too large, timeout) never reaches the
 * router; answer it here so it too is JSON with nosniff, like every other response.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A response already in flight on this connection cannot be followed by another: just close.
  if (err.code === 'ECONNRESET' || !socket.writable || (socket as Duplex & { _httpMessage?: unknown })._httpMessage) {
    socket.destroy()
    return
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
  const body = JSON.stringify({ error: ErrorCode.badRequest, message: status === 431 ? 'request headers too large' : status === 408 ? 'request timed out' : 'malformed request' })
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  )
}

/** Check the options and fill in defaults; throws a clear Error on a bad combination. */
function settle(opts: PeerServerOptions) {
  const bindAll = opts.bindAll ?? false
  const access: AccessPolicy = opts.access ?? (bindAll ? 'registered' : 'open')
  if (access === 'open' && !isLoopbackHost(bindAll)) {
    throw new Error('access "open" is only allowed on loopback: with bindAll, choose "registered" or "friends"')
  }
  const port = opts.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port ${String(opts.port)}`)
  const fingerprint = normalizeFingerprint(opts.identity.fingerprint)
  if (!fingerprint) throw new Error('identity.fingerprint is not a SHA-256 fingerprint')
  return { bindAll, access, port, fingerprint }
}

export class PeerServer extends EventEmitter<PeerServerEvents> {
  readonly options: PeerServerOptions
  readonly server: Server
  readonly #settled: ReturnType<typeof settle>
  readonly #logger: Logger
  readonly #access: AccessControl
  readonly #indexCache = new IndexCache()
  #openFiles: OpenFileCache | undefined
  /** Open connections with the traffic they had when last seen moving, for the idle watchdog. */
  readonly #sockets = new Map<Socket, { bytes: number; since: number }>()
  readonly #idleTimeoutMs: number
  #watchdog: NodeJS.Timeout | undefined
  #ctx: RouterContext | undefined
  #ready: PeerServerReady | undefined
  #closing: Promise<void> | undefined

  constructor(opts: PeerServerOptions) {
    super()
    this.options = opts
    this.#settled = settle(opts)
    this.#logger = opts.logger ?? silentLogger
    this.#access = new AccessControl({
      policy: this.#settled.access,
      logger: this.#logger,
      ...(opts.lookupIdentity ? { lookupIdentity: opts.lookupIdentity } : {}),
      ...(opts.friends ? { friends: opts.friends } : {}),
    })
    this.server = createServer({
      cert: opts.identity.certPem,
      key: opts.identity.keyPem,
      // Always ask; never let OpenSSL decide: certificates are self-signed and the app pins fingerprints.
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    })
    this.server.keepAliveTimeout = 5_000
    this.server.maxConnections = opts.maxConnections ?? 1024
    this.#idleTimeoutMs = opts.idleTimeoutMs ?? 120_000
    this.server.on('connection', (socket: Socket) => {
      this.#sockets.set(socket, { bytes: 0, since: Date.now() })
      socket.once('close', () => this.#sockets.delete(socket))
    })
    this.server.on('tlsClientError', (err) => this.#logger.debug({ err: { message: err.message } }, 'TLS handshake failed'))
    this.server.on('clientError', answerClientError)
  }

  get port(): number {
    return this.#ready?.port ?? 0
  }

  get addresses(): string[] {
    return this.#ready?.addresses ?? []
  }

  get access(): AccessPolicy {
    return this.#settled.access
  }

  get root(): string | undefined {
    return this.#ctx?.root.real
  }

  /** Resolve the root, write the welcome page if needed, listen, then emit 'ready'. */
  async listen(): Promise<PeerServerReady> {
    if (this.#ready) return this.#ready
    const opts = this.options
    let root: ShareRoot
    try {
      root = await resolveShareRoot(opts.root)
    } catch (err) {
      throw new Error(`the share root ${opts.root} cannot be opened: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err })
    }
    const rootStat = await stat(root.real)
    if (!rootStat.isDirectory()) throw new Error(`the share root ${opts.root} is not a folder`)
    const rules = { showDotfiles: opts.showDotfiles ?? false, platform: process.platform }
    const metadata =
      opts.syncMetadata === false
        ? MetadataFs.pooled()
        : new MetadataFs({ onSlow: (call, ms) => this.#logger.warn({ call, ms: Math.round(ms) }, 'slow file system: using the thread pool for a while') })
    const listing: ListingOptions = {
      ...rules,
      root,
      concurrency: opts.statConcurrency ?? 32,
      fs: {
        opendir: (path, options) => opendir(path, options),
        lstat: (path) => metadata.lstat(path),
        stat: (path) => metadata.stat(path),
        realpath: (path) => metadata.realpath(path),
      },
    }
    if (opts.welcomePage ?? true) {
      try {
        if (await ensureWelcomePage(root.real, opts.identity.email, listing)) this.#logger.info({ file: 'index.md' }, 'welcome page created')
      } catch (err) {
        // A read-only share still works; it just has no welcome page.
        this.#logger.warn({ err: { message: (err as Error).message } }, 'could not write the welcome page')
      }
    }
    if (opts.openFileCache !== false) this.#openFiles = new OpenFileCache(metadata, opts.openFileCache ?? {})
    this.#ctx = {
      root,
      openFiles: this.#openFiles,
      showDotfiles: rules.showDotfiles,
      pool: new BufferPool(opts.chunkSize ?? DEFAULT_CHUNK_SIZE),
      fs: metadata,
      logger: this.#logger,
      rules,
      listing,
      indexCache: this.#indexCache,
      access: this.#access,
      health: { status: 'ok', email: opts.identity.email, fingerprint: this.#settled.fingerprint },
    }
    this.server.on('request', createRequestHandler(this.#ctx))
    const port = await this.#listenOn(this.#settled.bindAll, this.#settled.port)
    this.#startWatchdog()
    this.#ready = { port, addresses: announcedAddresses(this.#settled.bindAll) }
    this.#logger.info({ port, addresses: this.#ready.addresses, access: this.#settled.access }, 'peer server listening')
    opts.onReady?.(this.#ready)
    this.emit('ready', this.#ready)
    return this.#ready
  }

  /**
   * Close connections that moved no byte either way for idleTimeoutMs (a visitor that stopped reading
   * a download would otherwise hold a descriptor forever). One timer for all connections, comparing
   * byte counters: `socket.setTimeout` would re-arm a timer on every write and costs as much CPU as
   * the encryption itself on a large download.
   */
  #startWatchdog(): void {
    if (this.#idleTimeoutMs <= 0) return
    const every = Math.max(50, Math.min(30_000, Math.floor(this.#idleTimeoutMs / 4)))
    this.#watchdog = setInterval(() => {
      const now = Date.now()
      for (const [socket, seen] of this.#sockets) {
        const bytes = socket.bytesRead + socket.bytesWritten
        if (bytes !== seen.bytes) {
          seen.bytes = bytes
          seen.since = now
        } else if (now - seen.since >= this.#idleTimeoutMs) {
          this.#logger.debug({ remote: socket.remoteAddress }, 'idle connection closed')
          socket.destroy()
        }
      }
    }, every)
    this.#watchdog.unref()
  }

  async #listenOn(bindAll: boolean, port: number): Promise<number> {
    const attempt = (host: string, ipv6Only?: boolean) =>
      new Promise<number>((resolve, reject) => {
        const onError = (err: Error) => reject(err)
        this.server.once('error', onError)
        this.server.listen({ host, port, ...(ipv6Only === undefined ? {} : { ipv6Only }) }, () => {
          this.server.off('error', onError)
          resolve((this.server.address() as AddressInfo).port)
        })
      })
    if (!bindAll) return attempt('127.0.0.1')
    try {
      // '::' without ipv6Only takes IPv4 too (dual stack) where the system allows it.
      return await attempt('::', false)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw err
      this.server.removeAllListeners('listening')
      return attempt('0.0.0.0')
    }
  }

  /**
   * Stop accepting, let requests in flight finish for up to `graceMs`, then cut what is left
   * (a download of many gigabytes will not hold a shutdown hostage).
   */
  close(graceMs = 2_000): Promise<void> {
    if (this.#closing) return this.#closing
    this.#closing = new Promise<void>((resolve) => {
      if (!this.server.listening) {
        resolve()
        return
      }
      if (this.#watchdog) clearInterval(this.#watchdog)
      const timer = setTimeout(() => {
        for (const socket of this.#sockets.keys()) socket.destroy()
      }, graceMs)
      timer.unref()
      this.server.close(() => {
        clearTimeout(timer)
        this.#indexCache.clear()
        this.#openFiles?.clear()
        resolve()
      })
      this.server.closeIdleConnections()
    }).then(() => {
      this.emit('close')
    })
    return this.#closing
  }
}

/** A peer server not yet listening: attach 'ready' listeners, then `await server.listen()`. */
export function createPeerServer(opts: PeerServerOptions): PeerServer {
  return new PeerServer(opts)
}

/** Create and start a peer server; resolves once it listens (after 'ready' was emitted). */
export async function startPeerServer(opts: PeerServerOptions): Promise<PeerServer> {
  const server = new PeerServer(opts)
  await server.listen()
  return server
}
