/**
 * Friends' health: every `intervalMs` (60 s by default) each friend gets a `GET /health`, through the
 * cached address first and the tracker after (see PeerConnector), and a status:
 *   online   the friend answered with the certificate saved for them
 *   offline  the tracker does not list them, or none of their addresses answers
 *   checking the first check since they were added (or since start) is under way
 *   error    something is wrong and the message says what: an impostor on their address, a tracker that
 *            now publishes another certificate, a refusal (403), a tracker we cannot ask…
 * A `peer_status` event goes out whenever a friend's status or message changes. friends.json is re-read
 * before each round, so `flashback friends add` next to a running peer is picked up.
 */
import { type FriendInfo, type PeerStatusReport } from '@flashback/protocol'
import {
  FingerprintChangedError,
  PeerHttpError,
  PeerOfflineError,
  PeerUnreachableError,
  TrackerHttpError,
  TrackerUnreachableError,
  describeError,
} from './errors.js'
import { type RuntimeEvents } from './events.js'
import { silentLogger, type Logger } from './logger.js'
import { type Profile } from './profile.js'

export interface FriendsMonitorOptions {
  profile: Profile
  /** One health check; resolves with the address that answered, throws why not. */
  check: (friend: FriendInfo, signal: AbortSignal) => Promise<{ address: string }>
  events: RuntimeEvents
  /** Between rounds (default 60 s). */
  intervalMs?: number
  /** One check gives up after this (default 15 s). */
  checkTimeoutMs?: number
  /** Checks running at once (default 4). */
  concurrency?: number
  logger?: Logger
}

export const DEFAULT_FRIEND_CHECK_INTERVAL_MS = 60_000

/** What a failed health check means for the friend's status. */
export function statusFromError(err: unknown): Pick<PeerStatusReport, 'status' | 'message'> {
  if (err instanceof PeerOfflineError) return { status: 'offline' }
  if (err instanceof PeerUnreachableError) {
    if (err.sawImpostor) return { status: 'error', message: err.message }
    return { status: 'offline', message: err.message }
  }
  if (err instanceof FingerprintChangedError) return { status: 'error', message: err.message }
  if (err instanceof PeerHttpError) {
    return { status: 'error', message: err.status === 403 ? `refused: ${err.message}` : err.message }
  }
  if (err instanceof TrackerUnreachableError || err instanceof TrackerHttpError) {
    return { status: 'error', message: `cannot ask the tracker: ${err.message}` }
  }
  return { status: 'error', message: describeError(err) }
}

export class FriendsMonitor {
  readonly #profile: Profile
  readonly #check: FriendsMonitorOptions['check']
  readonly #events: RuntimeEvents
  readonly #intervalMs: number
  readonly #checkTimeoutMs: number
  readonly #concurrency: number
  readonly #logger: Logger
  readonly #statuses = new Map<string, PeerStatusReport>()
  #timer: NodeJS.Timeout | undefined
  #round: Promise<void> | undefined
  #abort = new AbortController()
  #running = false

  constructor(options: FriendsMonitorOptions) {
    this.#profile = options.profile
    this.#check = options.check
    this.#events = options.events
    this.#intervalMs = options.intervalMs ?? DEFAULT_FRIEND_CHECK_INTERVAL_MS
    this.#checkTimeoutMs = options.checkTimeoutMs ?? 15_000
    this.#concurrency = options.concurrency ?? 4
    this.#logger = options.logger ?? silentLogger
  }

  /** Check every friend now, then every interval. */
  start(): void {
    if (this.#running) return
    this.#running = true
    this.#abort = new AbortController()
    void this.checkAll()
  }

  async stop(): Promise<void> {
    this.#running = false
    clearTimeout(this.#timer)
    this.#abort.abort(new Error('stopping'))
    await this.#round?.catch(() => {})
  }

  /** Known statuses (friends never checked yet show `checking`). */
  statuses(): PeerStatusReport[] {
    return this.#profile.friends.map((f) => this.status(f.email) ?? { email: f.email, status: 'checking' })
  }

  status(email: string): PeerStatusReport | undefined {
    const known = this.#statuses.get(email.toLowerCase())
    return known && { ...known }
  }

  /** A new or changed friend: check it at once (outside the round schedule). */
  async checkFriend(friend: FriendInfo): Promise<PeerStatusReport> {
    if (!this.#statuses.has(friend.email.toLowerCase())) this.#update(friend.email, { status: 'checking' })
    return this.#checkOne(friend, this.#abort.signal)
  }

  /** A removed friend: forget its status. */
  forget(email: string): void {
    this.#statuses.delete(email.toLowerCase())
  }

  /** Run a round now (or join the one under way) and return every friend's status. */
  checkAll(): Promise<PeerStatusReport[]> {
    if (!this.#round) {
      clearTimeout(this.#timer)
      this.#round = this.#runRound().finally(() => {
        this.#round = undefined
        if (this.#running) {
          clearTimeout(this.#timer)
          this.#timer = setTimeout(() => void this.checkAll(), this.#intervalMs)
        }
      })
    }
    return this.#round.then(() => this.statuses())
  }

  async #runRound(): Promise<void> {
    try {
      if (await this.#profile.reloadFriends()) this.#events.emit({ type: 'friends_changed', friends: this.#profile.friends })
    } catch (err) {
      this.#logger.warn({ err: describeError(err) }, 'could not re-read friends.json; keeping the list in memory')
    }
    const friends = this.#profile.friends
    const keep = new Set(friends.map((f) => f.email.toLowerCase()))
    for (const email of [...this.#statuses.keys()]) if (!keep.has(email)) this.#statuses.delete(email)
    for (const friend of friends) {
      if (!this.#statuses.has(friend.email.toLowerCase())) this.#update(friend.email, { status: 'checking' })
    }
    const queue = [...friends]
    const signal = this.#abort.signal
    const workers = Array.from({ length: Math.min(this.#concurrency, queue.length) }, async () => {
      for (let friend = queue.shift(); friend && !signal.aborted; friend = queue.shift()) {
        await this.#checkOne(friend, signal)
      }
    })
    await Promise.all(workers)
  }

  async #checkOne(friend: FriendInfo, signal: AbortSignal): Promise<PeerStatusReport> {
    const timeout = AbortSignal.timeout(this.#checkTimeoutMs)
    try {
      const { address } = await this.#check(friend, AbortSignal.any([signal, timeout]))
      return this.#update(friend.email, { status: 'online', address })
    } catch (err) {
      if (signal.aborted) return this.status(friend.email) ?? { email: friend.email, status: 'checking' }
      if (timeout.aborted) return this.#update(friend.email, { status: 'offline', message: `no answer within ${this.#checkTimeoutMs} ms` })
      return this.#update(friend.email, statusFromError(err))
    }
  }

  #update(email: string, next: Pick<PeerStatusReport, 'status' | 'message' | 'address'>): PeerStatusReport {
    const key = email.toLowerCase()
    const previous = this.#statuses.get(key)
    const report: PeerStatusReport = { email, status: next.status }
    if (next.message !== undefined) report.message = next.message
    if (next.address !== undefined) report.address = next.address
    if (next.status !== 'checking') report.checkedAt = new Date().toISOString()
    // The friend may have been removed while its check ran.
    if (next.status !== 'checking' && !this.#profile.getFriend(email)) return report
    this.#statuses.set(key, report)
    const changed = !previous || previous.status !== report.status || previous.message !== report.message || previous.address !== report.address
    if (changed) {
      this.#logger.info({ email, status: report.status, message: report.message }, 'friend status')
      const event: Parameters<RuntimeEvents['emit']>[0] = { type: 'peer_status', email, status: report.status }
      if (report.message !== undefined) event.message = report.message
      if (report.address !== undefined) event.address = report.address
      this.#events.emit(event)
    }
    return report
  }
}
