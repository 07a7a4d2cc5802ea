/**
 * Rate limits: RATE_LIMIT_PER_MIN requests per minute per identity (certificate fingerprint) and
 * twice that per client address, in fixed one-minute windows. Over either limit: 429 with Retry-After.
 *
 * Written here rather than with @fastify/rate-limit because every request is counted against two keys
 * at once, and because the counters can live in the store (PostgreSQL), so that replicas share them.
 */
import fp from 'fastify-plugin'
import { isIPv4 } from 'node:net'
import ipaddr from 'ipaddr.js'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { RateLimited } from '../errors.js'
import type { CounterHit } from '../store/types.js'

export const RATE_WINDOW_MS = 60_000

/** Counts hits per key in fixed windows. */
export interface RateCounter {
  hit(key: string, windowMs: number, now: number): Promise<CounterHit> | CounterHit
}

/** Counters in the store (PostgreSQL): every replica counts against the same budget. */
export class StoreRateCounter implements RateCounter {
  constructor(private readonly store: { hitCounter(key: string, windowMs: number, now: number): Promise<CounterHit> }) {}
  hit(key: string, windowMs: number, now: number): Promise<CounterHit> {
    return this.store.hitCounter(key, windowMs, now)
  }
}

/** In-process counters: one map per window, dropped whole when the window changes. */
export class MemoryRateCounter implements RateCounter {
  private windowEnd = 0
  private counts = new Map<string, number>()

  hit(key: string, windowMs: number, now: number): CounterHit {
    const windowEnd = (Math.floor(now / windowMs) + 1) * windowMs
    if (windowEnd !== this.windowEnd) {
      this.windowEnd = windowEnd
      this.counts = new Map()
    }
    const count = (this.counts.get(key) ?? 0) + 1
    this.counts.set(key, count)
    return { count, resetAt: windowEnd }
  }

  get size(): number {
    return this.counts.size
  }
}

/**
 * The rate-limit key of an address: IPv4 as is, IPv6 by its /64 (one subscriber usually holds a
 * whole /64, so counting single addresses would be trivial to dodge).
 */
export function addressKey(address: string): string {
  if (isIPv4(address)) return address
  try {
    let parsed = ipaddr.parse(address)
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
      parsed = (parsed as ipaddr.IPv6).toIPv4Address()
    }
    if (parsed.kind() === 'ipv4') return parsed.toString()
    const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4)
    return `${parts.map((p) => p.toString(16)).join(':')}::/64`
  } catch {
    return address
  }
}

export interface RateLimitPluginOptions {
  /** Requests per minute per identity; the per-address limit is twice this. 0 turns limiting off. */
  perMinute: number
  counter: RateCounter
  /** Routes never limited (health checks from load balancers). */
  exempt?: (request: FastifyRequest) => boolean
  /**
   * Client addresses without a per-address budget: trusted proxies (RELAY_TRUST_PROXY). Behind a TCP
   * passthrough balancer every client seems to come from the balancer; counting them all as one
   * address would starve everyone, so only the per-identity budget applies to them.
   */
  addressExempt?: (address: string) => boolean
  now?: () => number
}

/** What the limiter says of one request: the X-RateLimit-* (and Retry-After) headers, and the 429 when over. */
export interface RateDecision {
  headers: [name: string, value: string][]
  error?: Error
}

/**
 * Counts a request against its client address and its identity and decides. The Fastify hook below
 * and the hot lane (../hot-lane/) both ask this, so a request is counted once, the same way, on
 * whichever path it is served. In-memory counters answer synchronously, store counters with a promise.
 */
export interface RateLimiter {
  check(address: string, fingerprint: string | undefined, at: number): RateDecision | undefined | Promise<RateDecision | undefined>
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The rate limiter; null when RATE_LIMIT_PER_MIN is 0. */
    rateLimiter: RateLimiter | null
  }
}

export function makeRateLimiter(opts: Pick<RateLimitPluginOptions, 'perMinute' | 'counter' | 'addressExempt'>): RateLimiter {
  const perIdentity = opts.perMinute
  const perAddress = opts.perMinute * 2

  /** Report (and enforce) the tighter of the budgets that apply. */
  const decide = (at: number, addressHit: CounterHit | undefined, identityHit: CounterHit | undefined): RateDecision | undefined => {
    if (!addressHit && !identityHit) return undefined
    let limit: number
    let hit: CounterHit
    if (addressHit && (!identityHit || perAddress - addressHit.count <= perIdentity - identityHit.count)) {
      limit = perAddress
      hit = addressHit
    } else {
      limit = perIdentity
      hit = identityHit as CounterHit
    }
    const resetS = String(Math.max(1, Math.ceil((hit.resetAt - at) / 1000)))
    const headers: [string, string][] = [
      ['x-ratelimit-limit', String(limit)],
      ['x-ratelimit-remaining', String(Math.max(0, limit - hit.count))],
      ['x-ratelimit-reset', resetS],
    ]
    if (hit.count <= limit) return { headers }
    headers.push(['retry-after', resetS])
    return { headers, error: new RateLimited(`too many requests: at most ${limit} per minute; retry in ${resetS} s`) }
  }

  return {
    check(address, fingerprint, at) {
      const countAddress = !opts.addressExempt?.(address)
      // Both counters at once (two round trips in parallel when they live in the database).
      const addressHit = countAddress ? opts.counter.hit(`ip:${addressKey(address)}`, RATE_WINDOW_MS, at) : undefined
      const identityHit = fingerprint ? opts.counter.hit(`id:${fingerprint}`, RATE_WINDOW_MS, at) : undefined
      if (!(addressHit instanceof Promise) && !(identityHit instanceof Promise)) return decide(at, addressHit, identityHit)
      return Promise.all([addressHit, identityHit]).then(([a, i]) => decide(at, a, i))
    },
  }
}

function applyDecision(reply: FastifyReply, decision: RateDecision | undefined): Error | undefined {
  if (!decision) return undefined
  for (const [name, value] of decision.headers) void reply.header(name, value)
  return decision.error
}

export default fp<RateLimitPluginOptions>(
  async (app, opts) => {
    if (opts.perMinute <= 0) {
      app.decorate('rateLimiter', null)
      return
    }
    const now = opts.now ?? Date.now
    const limiter = makeRateLimiter(opts)
    app.decorate('rateLimiter', limiter)

    // Callback-style: in-memory counters answer at once, without a promise per request.
    app.addHook('onRequest', (request, reply, done) => {
      if (opts.exempt?.(request)) return done()
      // The client address behind trusted proxies (plugins/client-address.ts), else the socket's peer.
      let decision: ReturnType<RateLimiter['check']>
      try {
        decision = limiter.check(request.clientAddress || request.ip, request.clientCertificate?.fingerprint, now())
      } catch (err) {
        return done(err as Error)
      }
      if (!(decision instanceof Promise)) return done(applyDecision(reply, decision))
      decision.then(
        (d) => done(applyDecision(reply, d)),
        (err: Error) => done(err),
      )
    })
  },
  { name: 'flashback-rate-limit', fastify: '5.x', dependencies: ['flashback-client-certificate'] },
)
