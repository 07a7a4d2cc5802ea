/**
 * Being present at the tracker: register, broadcast `ready`, keep it alive with heartbeats, heal by
 * itself, and say `offline` when leaving.
 *
 *   register ──200──▶ ready ──200──▶ broadcasting ──(min(expires_in/2, 30 min))──▶ heartbeat ─┐
 *      │409                │403 not_registered: register again                    ▲         │
 *      ▼                   ▼                                                      └──200────┤
 *   email_taken       other 4xx: rejected                  404 not_online: ready at once ◀──┤
 *   (terminal)        (terminal)           network/5xx/429: retrying, backoff, then register+ready
 *
 * A tracker that restarted with an emptied database answers 403 `not_registered` or 404 `not_online`:
 * both lead back to register + ready without anyone doing anything.
 */
import { type ReadyBody, type TrackerStatus } from '@flashback/protocol'
import { TrackerHttpError, toErrorInfo } from './errors.js'
import { type RuntimeEvents } from './events.js'
import { silentLogger, type Logger } from './logger.js'
import { isTransientTrackerError, type TrackerClient } from './tracker-client.js'

export interface PresenceTiming {
  /** Longest wait between heartbeats (default 30 min; the tracker's TTL / 2 when shorter). */
  heartbeatMaxMs?: number
  /** First retry delay after a failure (default 1 s), doubled on each further failure… */
  backoffBaseMs?: number
  /** …up to this (default 60 s). */
  backoffMaxMs?: number
  /** How long stop() waits for the tracker to take `offline` (default 3 s). */
  offlineTimeoutMs?: number
}

export interface PresenceOptions extends PresenceTiming {
  tracker: TrackerClient
  /** The current `ready` body: port, addresses, capabilities. */
  announce: () => ReadyBody
  events: RuntimeEvents
  logger?: Logger
  /** Source of jitter (tests may fix it). */
  random?: () => number
  /** Called after every change of the status. */
  onStatusChange?: (status: TrackerStatus) => void
}

const HEARTBEAT_FLOOR_MS = 250

/** Exponential backoff with "equal jitter": half the delay is fixed, half random. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(exp / 2 + random() * (exp / 2))
}

/** At most half the broadcast's lifetime, never more than `maxMs`. */
export function heartbeatInterval(expiresInS: number, maxMs: number): number {
  return Math.max(HEARTBEAT_FLOOR_MS, Math.min((expiresInS * 1000) / 2, maxMs))
}

type Action = 'sync' | 'heartbeat'

export class TrackerPresence {
  readonly #tracker: TrackerClient
  readonly #announce: () => ReadyBody
  readonly #events: RuntimeEvents
  readonly #logger: Logger
  readonly #random: () => number
  readonly #heartbeatMaxMs: number
  readonly #backoffBaseMs: number
  readonly #backoffMaxMs: number
  readonly #offlineTimeoutMs: number
  readonly #onStatusChange: ((status: TrackerStatus) => void) | undefined

  #status: TrackerStatus
  #registered = false
  #broadcastSent = false
  #failures = 0
  #timer: NodeJS.Timeout | undefined
  #abort = new AbortController()
  #inflight: Promise<void> | undefined
  #stopped = true
  #firstRound: { resolve: (status: TrackerStatus) => void } | undefined

  constructor(options: PresenceOptions) {
    this.#tracker = options.tracker
    this.#announce = options.announce
    this.#events = options.events
    this.#logger = options.logger ?? silentLogger
    this.#random = options.random ?? Math.random
    this.#heartbeatMaxMs = options.heartbeatMaxMs ?? 30 * 60 * 1000
    this.#backoffBaseMs = options.backoffBaseMs ?? 1000
    this.#backoffMaxMs = options.backoffMaxMs ?? 60_000
    this.#offlineTimeoutMs = options.offlineTimeoutMs ?? 3000
    this.#onStatusChange = options.onStatusChange
    this.#status = { url: this.#tracker.url.href, state: 'stopped' }
  }

  get status(): TrackerStatus {
    return structuredClone(this.#status)
  }

  /**
   * Start: register, ready, heartbeats. Resolves with the status once the first round is over:
   * `broadcasting`, or `retrying` (the tracker is unreachable; retries go on in the background),
   * or a terminal `email_taken` / `rejected`.
   */
  start(): Promise<TrackerStatus> {
    if (!this.#stopped) return Promise.resolve(this.status)
    this.#stopped = false
    this.#abort = new AbortController()
    this.#failures = 0
    const first = new Promise<TrackerStatus>((resolve) => {
      this.#firstRound = { resolve }
    })
    this.#setStatus({ state: 'registering' })
    this.#run('sync')
    return first
  }

  /** Send a fresh `ready` now (the port, addresses or capabilities changed). */
  rebroadcast(): void {
    if (this.#stopped || this.#status.state === 'email_taken' || this.#status.state === 'rejected') return
    this.#schedule('sync', 0)
  }

  /** Stop heartbeats and retries, tell the tracker we are gone (bounded wait), and settle. */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#abort.abort(new Error('stopping'))
    await this.#inflight?.catch(() => {})
    this.#finishFirstRound()
    if (this.#broadcastSent) {
      try {
        await this.#tracker.offline({ timeoutMs: this.#offlineTimeoutMs, signal: AbortSignal.timeout(this.#offlineTimeoutMs) })
        this.#events.emit({ type: 'offline' })
        this.#logger.info({}, 'offline')
      } catch (err) {
        // The broadcast will expire by itself; nothing else to do.
        this.#logger.warn({ err: toErrorInfo(err) }, 'the tracker did not take our offline')
      }
      this.#broadcastSent = false
    }
    this.#setStatus({ state: 'stopped', nextRetryAt: undefined, expiresAt: undefined })
  }

  #schedule(action: Action, delayMs: number): void {
    clearTimeout(this.#timer)
    if (this.#stopped) return
    this.#timer = setTimeout(() => this.#run(action), delayMs)
  }

  #run(action: Action): void {
    if (this.#stopped) return
    // One action at a time: if one is running, this one follows it.
    const previous = this.#inflight ?? Promise.resolve()
    const current = previous.then(() => (this.#stopped ? undefined : action === 'sync' ? this.#sync() : this.#heartbeat()))
    this.#inflight = current.catch((err: unknown) => {
      this.#logger.error({ err: toErrorInfo(err) }, 'tracker presence failed unexpectedly')
    })
  }

  async #register(signal: AbortSignal): Promise<void> {
    const reply = await this.#tracker.register(signal)
    this.#registered = true
    this.#logger.info({ email: reply.email, fingerprint: reply.fingerprint }, 'registered')
    this.#events.emit({ type: 'registered', email: reply.email, fingerprint: reply.fingerprint, clientId: reply.client_id })
    if (this.#status.state === 'registering') this.#setStatus({ state: 'registered' })
  }

  async #sync(): Promise<void> {
    const signal = this.#abort.signal
    let operation: 'register' | 'ready' = 'register'
    try {
      if (!this.#registered) await this.#register(signal)
      operation = 'ready'
      const body = this.#announce()
      let reply
      try {
        reply = await this.#tracker.ready(body, signal)
      } catch (err) {
        if (!(err instanceof TrackerHttpError && err.status === 403 && err.code === 'not_registered')) throw err
        // The tracker forgot us (wiped database): register again, then announce.
        this.#registered = false
        operation = 'register'
        await this.#register(signal)
        operation = 'ready'
        reply = await this.#tracker.ready(body, signal)
      }
      this.#broadcastSent = true
      this.#failures = 0
      const now = Date.now()
      this.#setStatus({
        state: 'broadcasting',
        lastHeartbeatAt: new Date(now).toISOString(),
        expiresAt: new Date(now + reply.expires_in * 1000).toISOString(),
        nextRetryAt: undefined,
        error: undefined,
      })
      this.#logger.info({ port: body.port, addresses: body.addresses, expires_in: reply.expires_in }, 'broadcasting')
      this.#events.emit({ type: 'broadcasting', port: body.port, addresses: body.addresses, expiresIn: reply.expires_in })
      this.#finishFirstRound()
      this.#schedule('heartbeat', heartbeatInterval(reply.expires_in, this.#heartbeatMaxMs))
    } catch (err) {
      if (this.#stopped) return
      this.#syncFailed(err, operation)
    }
  }

  #syncFailed(err: unknown, operation: 'register' | 'ready'): void {
    const error = toErrorInfo(err)
    if (err instanceof TrackerHttpError && err.status === 409 && err.code === 'email_taken') {
      const message = `${this.#tracker.email} is registered with another certificate: choose another e-mail address (or use the profile that holds that certificate)`
      this.#setStatus({ state: 'email_taken', error: { code: 'email_taken', message }, nextRetryAt: undefined })
      this.#logger.error({ email: this.#tracker.email }, message)
      this.#events.emit({ type: 'email_taken', email: this.#tracker.email, message })
      this.#finishFirstRound()
      return
    }
    if (!isTransientTrackerError(err)) {
      this.#setStatus({ state: 'rejected', error, nextRetryAt: undefined })
      this.#logger.error({ operation, err: error }, 'the tracker refused us')
      this.#events.emit({ type: 'tracker_rejected', error })
      this.#finishFirstRound()
      return
    }
    const delay = this.#nextDelay(err)
    this.#setStatus({ state: 'retrying', error, nextRetryAt: new Date(Date.now() + delay).toISOString() })
    this.#logger.warn({ operation, err: error, retry_in_ms: delay }, 'tracker unavailable, retrying')
    this.#events.emit({ type: 'tracker_error', operation, error, retryInMs: delay })
    this.#finishFirstRound()
    this.#schedule('sync', delay)
  }

  async #heartbeat(): Promise<void> {
    try {
      const reply = await this.#tracker.heartbeat(this.#abort.signal)
      this.#failures = 0
      const now = Date.now()
      this.#setStatus({
        state: 'broadcasting',
        lastHeartbeatAt: new Date(now).toISOString(),
        expiresAt: new Date(now + reply.expires_in * 1000).toISOString(),
        error: undefined,
        nextRetryAt: undefined,
      })
      this.#logger.debug({ expires_in: reply.expires_in }, 'heartbeat')
      this.#events.emit({ type: 'heartbeat', expiresIn: reply.expires_in })
      this.#schedule('heartbeat', heartbeatInterval(reply.expires_in, this.#heartbeatMaxMs))
    } catch (err) {
      if (this.#stopped) return
      const error = toErrorInfo(err)
      if (err instanceof TrackerHttpError && (err.status === 404 || (err.status === 403 && err.code === 'not_registered'))) {
        // The tracker forgot our broadcast (expired, restarted, wiped): announce again at once.
        if (err.status === 403) this.#registered = false
        this.#logger.warn({ err: error }, 'heartbeat refused, broadcasting again')
        this.#events.emit({ type: 'heartbeat_failed', error, retryInMs: 0 })
        this.#schedule('sync', 0)
        return
      }
      // Network trouble or an unexpected answer: back off, then register + ready again, since a tracker
      // that comes back may have lost everything.
      const delay = this.#nextDelay(err)
      this.#registered = false
      this.#setStatus({ state: 'retrying', error, nextRetryAt: new Date(Date.now() + delay).toISOString() })
      this.#logger.warn({ err: error, retry_in_ms: delay }, 'heartbeat failed')
      this.#events.emit({ type: 'heartbeat_failed', error, retryInMs: delay })
      this.#schedule('sync', delay)
    }
  }

  #nextDelay(err: unknown): number {
    this.#failures++
    const delay = backoffDelay(this.#failures, this.#backoffBaseMs, this.#backoffMaxMs, this.#random)
    const retryAfter = err instanceof TrackerHttpError ? err.retryAfterMs : undefined
    return Math.max(delay, retryAfter ?? 0)
  }

  #finishFirstRound(): void {
    const first = this.#firstRound
    this.#firstRound = undefined
    first?.resolve(this.status)
  }

  #setStatus(patch: Partial<TrackerStatus>): void {
    const next: TrackerStatus = { ...this.#status, ...patch }
    for (const key of Object.keys(next) as (keyof TrackerStatus)[]) if (next[key] === undefined) delete next[key]
    this.#status = next
    this.#onStatusChange?.(this.status)
  }
}
