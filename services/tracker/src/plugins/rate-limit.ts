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

export default fp<RateLimitPluginOptions>(
  async (app, opts) => {
    if (opts.perMinute <= 0) return
    const now = opts.now ?? Date.now
    const perIdentity = opts.perMinute
    const perAddress = opts.perMinute * 2

    /** Report (and enforce) the tighter of the budgets that apply. */
    const decide = (reply: FastifyReply, at: number, addressHit: CounterHit | undefined, identityHit: CounterHit | undefined): Error | undefined => {
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
      const resetS = Math.max(1, Math.ceil((hit.resetAt - at) / 1000))
      reply.header('x-ratelimit-limit', limit)
      reply.header('x-ratelimit-remaining', Math.max(0, limit - hit.count))
      reply.header('x-ratelimit-reset', resetS)
      if (hit.count <= limit) return undefined
      reply.header('retry-after', resetS)
      return new RateLimited(`too many requests: at most ${limit} per minute; retry in ${resetS} s`)
    }

    // Callback-style: in-memory counters answer at once, without a promise per request.
    app.addHook('onRequest', (request, reply, done) => {
      if (opts.exempt?.(request)) return done()
      const at = now()
      const fingerprint = request.clientCertificate?.fingerprint
      // The client address behind trusted proxies (plugins/client-address.ts), else the socket's peer.
      const address = request.clientAddress || request.ip
      const countAddress = !opts.addressExempt?.(address)
      let addressHit: CounterHit | Promise<CounterHit> | undefined
      let identityHit: CounterHit | Promise<CounterHit> | undefined
      try {
        // Both counters at once (two round trips in parallel when they live in the database).
        addressHit = countAddress ? opts.counter.hit(`ip:${addressKey(address)}`, RATE_WINDOW_MS, at) : undefined
        identityHit = fingerprint ? opts.counter.hit(`id:${fingerprint}`, RATE_WINDOW_MS, at) : undefined
      } catch (err) {
        return done(err as Error)
      }
      if (!(addressHit instanceof Promise) && !(identityHit instanceof Promise)) return done(decide(reply, at, addressHit, identityHit))
      Promise.all([addressHit, identityHit]).then(
        ([a, i]) => done(decide(reply, at, a, i)),
        (err: Error) => done(err),
      )
    })
  },
  { name: 'flashback-rate-limit', fastify: '5.x', dependencies: ['flashback-client-certificate'] },
)
