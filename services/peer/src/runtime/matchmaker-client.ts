/**
 * The peer's side of the tracker's UDP matchmaker: keeps a registration alive and learns the public
 * address the tracker sees (the "observed" address, the outside of this peer's NAT).
 *
 *   const mm = await startMatchmakerClient({
 *     host: trackerUrl.hostname,
 *     getToken: (signal) => registry.matchmakerToken(signal),   // POST /api/relay/matchmaker/token
 *     onObserved: (observed) => …,                                // add observed.ip to the broadcast
 *     logger,
 *   })
 *   mm.observed()                      // { ip, port } once registered
 *   await mm.connect('bob@example.com') // both sides learn each other's address at once
 *   await mm.stop()
 *
 * Tokens are fetched over mutual TLS and refreshed before they lapse; a `register` goes out every
 * `keepaliveMs` (which also keeps the NAT mapping open); a lost answer is retried with backoff; an
 * `invalid_token` error fetches a new token. Datagrams from anywhere but the matchmaker are ignored,
 * and every datagram is checked against the protocol's schemas.
 */
import { createSocket, type Socket } from 'node:dgram'
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import Value from 'typebox/value'
import {
  MATCHMAKER_DEFAULT_PORT,
  MATCHMAKER_KEEPALIVE_S,
  MatchmakerReply,
  type MatchmakerTokenReply,
  type ObservedAddress,
} from '@flashback/protocol'
import { RuntimeError, TrackerHttpError, describeError } from './errors.js'
import { silentLogger, type Logger } from './logger.js'

export interface MatchmakerClientOptions {
  /** The matchmaker's host: the tracker's host name or IP. */
  host: string
  /** Its UDP port; default the one the token reply names, else 12345. */
  port?: number
  /** A fresh token (RegistryClient.matchmakerToken). */
  getToken: (signal: AbortSignal) => Promise<MatchmakerTokenReply>
  /** Called with the observed address when it is first learned and whenever it changes. */
  onObserved?: (observed: ObservedAddress) => void
  /** Called when another peer asked the matchmaker to connect to us (it is about to send to `observed`). */
  onPeer?: (peer: { email: string; observed: ObservedAddress }) => void
  logger?: Logger
  /** Between two registers (default 25 s; registrations lapse after 120 s). */
  keepaliveMs?: number
  /** How long to wait for an answer (default 5 s). */
  replyTimeoutMs?: number
  /** Longest wait between retries after failures (default 60 s). */
  backoffMaxMs?: number
}

export interface MatchmakerClient {
  /** The address the matchmaker saw our last register come from. */
  observed(): ObservedAddress | undefined
  /** Ask the matchmaker to introduce us to `email` (rejects with `not_registered` when it cannot). */
  connect(email: string, options?: { signal?: AbortSignal }): Promise<{ email: string; observed: ObservedAddress }>
  stop(): Promise<void>
}

type PendingKind = { kind: 'register' } | { kind: 'connect'; email: string }
type Pending = PendingKind & { resolve: (r: MatchmakerReply) => void }

class UdpMatchmakerClient implements MatchmakerClient {
  readonly #opts: MatchmakerClientOptions
  readonly #log: Logger
  readonly #socket: Socket
  readonly #address: string
  readonly #abort = new AbortController()
  #port: number
  #token: { value: string; refreshAt: number } | undefined
  #observed: ObservedAddress | undefined
  #pending: Pending | undefined
  /** One request in flight at a time, so an answer (errors name no request) belongs to it. */
  #lock: Promise<unknown> = Promise.resolve()
  #loop: Promise<void> | undefined
  #wake: (() => void) | undefined

  constructor(options: MatchmakerClientOptions, address: string, socket: Socket) {
    this.#opts = options
    this.#log = options.logger ?? silentLogger
    this.#address = address
    this.#socket = socket
    this.#port = options.port ?? MATCHMAKER_DEFAULT_PORT
    socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo.address, rinfo.port))
    socket.on('error', (err) => this.#log.debug({ err: err.message }, 'matchmaker socket error'))
  }

  start(): void {
    this.#loop = this.#run()
  }

  observed(): ObservedAddress | undefined {
    return this.#observed ? { ...this.#observed } : undefined
  }

  async connect(email: string, options: { signal?: AbortSignal } = {}): Promise<{ email: string; observed: ObservedAddress }> {
    const target = email.trim().toLowerCase()
    const reply = await this.#request({ kind: 'connect', email: target }, async () => ({ type: 'connect', token: await this.#currentToken(), target }), options.signal)
    if (reply.type === 'peer') return { email: reply.email, observed: reply.observed }
    if (reply.type === 'error') throw new RuntimeError(reply.error, `the matchmaker answered ${reply.error} for ${target}`)
    throw new RuntimeError('protocol_error', `unexpected matchmaker answer ${reply.type}`)
  }

  async stop(): Promise<void> {
    if (this.#abort.signal.aborted) return
    this.#abort.abort()
    this.#wake?.()
    await this.#loop?.catch(() => {})
    await new Promise<void>((resolve) => {
      try {
        this.#socket.close(() => resolve())
      } catch {
        resolve()
      }
    })
  }

  // ---- internals ----

  async #run(): Promise<void> {
    const keepalive = this.#opts.keepaliveMs ?? MATCHMAKER_KEEPALIVE_S * 1000
    const backoffMax = this.#opts.backoffMaxMs ?? 60_000
    let failures = 0
    while (!this.#abort.signal.aborted) {
      let wait = keepalive
      try {
        const reply = await this.#request({ kind: 'register' }, async () => ({ type: 'register', token: await this.#currentToken() }))
        if (reply.type === 'registered') {
          failures = 0
          this.#setObserved(reply.observed)
        } else if (reply.type === 'error' && reply.error === 'invalid_token') {
          // Lapsed or from before a key change: fetch another and try again at once (bounded by backoff).
          this.#token = undefined
          failures++
          wait = failures === 1 ? 0 : Math.min(backoffMax, 1000 * 2 ** failures)
        } else {
          failures++
          wait = Math.min(backoffMax, 1000 * 2 ** failures)
        }
      } catch (err) {
        if (this.#abort.signal.aborted) break
        if (err instanceof TrackerHttpError && err.status === 404) {
          this.#log.info({ message: err.message }, 'the tracker runs no matchmaker; not registering')
          return
        }
        failures++
        wait = Math.min(backoffMax, 1000 * 2 ** Math.min(failures, 16))
        this.#log.debug({ err: describeError(err), retry_in_ms: wait }, 'matchmaker registration failed')
      }
      await this.#sleep(wait)
    }
  }

  #setObserved(observed: ObservedAddress): void {
    const before = this.#observed
    if (before && before.ip === observed.ip && before.port === observed.port) return
    this.#observed = { ip: observed.ip, port: observed.port }
    this.#log.info({ observed_ip: observed.ip, observed_port: observed.port }, 'matchmaker observed address')
    try {
      this.#opts.onObserved?.({ ...observed })
    } catch (err) {
      this.#log.warn({ err: describeError(err) }, 'onObserved failed')
    }
  }

  async #currentToken(): Promise<string> {
    const now = Date.now()
    if (this.#token && now < this.#token.refreshAt) return this.#token.value
    const reply = await this.#opts.getToken(this.#abort.signal)
    if (this.#opts.port === undefined && reply.port !== undefined) this.#port = reply.port
    // Refreshed at half its life, so a register never carries a token about to lapse.
    this.#token = { value: reply.token, refreshAt: now + (reply.expires_in * 1000) / 2 }
    return reply.token
  }

  /** Send one datagram and wait for its answer (or reject after replyTimeoutMs). */
  #request(kind: PendingKind, build: () => Promise<Record<string, unknown>>, signal?: AbortSignal): Promise<MatchmakerReply> {
    const run = this.#lock.then(async () => {
      if (this.#abort.signal.aborted) throw new RuntimeError('stopped', 'the matchmaker client is stopped')
      const datagram = Buffer.from(JSON.stringify(await build()))
      const timeoutMs = this.#opts.replyTimeoutMs ?? 5000
      return new Promise<MatchmakerReply>((resolve, reject) => {
        const done = (fn: () => void) => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          this.#abort.signal.removeEventListener('abort', onAbort)
          this.#pending = undefined
          fn()
        }
        const onAbort = () => done(() => reject(new RuntimeError('aborted', 'the matchmaker request was aborted')))
        const timer = setTimeout(() => done(() => reject(new RuntimeError('matchmaker_timeout', `no answer from the matchmaker at ${this.#address}:${this.#port} within ${timeoutMs} ms`))), timeoutMs)
        signal?.addEventListener('abort', onAbort, { once: true })
        this.#abort.signal.addEventListener('abort', onAbort, { once: true })
        this.#pending = { ...kind, resolve: (reply: MatchmakerReply) => done(() => resolve(reply)) }
        this.#socket.send(datagram, this.#port, this.#address, (err) => {
          if (err) done(() => reject(new RuntimeError('matchmaker_unreachable', `cannot send to the matchmaker: ${err.message}`)))
        })
      })
    })
    this.#lock = run.catch(() => {})
    return run
  }

  #onMessage(msg: Buffer, address: string, port: number): void {
    // Only the matchmaker speaks to this socket; anything else is noise (or an attempt to mislead).
    if (port !== this.#port || address.replace(/^::ffff:/, '') !== this.#address.replace(/^::ffff:/, '')) return
    let reply: unknown
    try {
      reply = JSON.parse(msg.toString('utf8'))
    } catch {
      return
    }
    if (!Value.Check(MatchmakerReply, reply)) return
    const pending = this.#pending
    if (reply.type === 'registered') {
      if (pending?.kind === 'register') pending.resolve(reply)
      return
    }
    if (reply.type === 'peer') {
      if (pending?.kind === 'connect' && pending.email === reply.email.toLowerCase()) pending.resolve(reply)
      else {
        this.#log.info({ email: reply.email, observed_ip: reply.observed.ip, observed_port: reply.observed.port }, 'matchmaker: a peer wants to connect')
        this.#opts.onPeer?.({ email: reply.email, observed: reply.observed })
      }
      return
    }
    pending?.resolve(reply)
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined
        resolve()
      }, ms)
      timer.unref()
      this.#wake = () => {
        clearTimeout(timer)
        this.#wake = undefined
        resolve()
      }
    })
  }
}

/** Resolve the matchmaker's host, open a UDP socket and start registering in the background. */
export async function startMatchmakerClient(options: MatchmakerClientOptions): Promise<MatchmakerClient> {
  const host = options.host.replace(/^\[|\]$/g, '')
  const address = isIP(host) ? host : (await lookup(host)).address
  const socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4')
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(0, () => {
      socket.off('error', reject)
      resolve()
    })
  })
  // A daemon keeps running for other reasons; this socket alone must not hold the process open.
  socket.unref()
  const client = new UdpMatchmakerClient(options, address, socket)
  client.start()
  return client
}
