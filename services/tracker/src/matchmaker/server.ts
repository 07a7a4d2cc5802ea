/**
 * The UDP matchmaker: a rendezvous point for NAT hole punching, in the tracker's process.
 *
 *   → { "type": "register", "token" }                 ← { "type": "registered", "observed": { "ip", "port" } }
 *   → { "type": "connect", "token", "target": email }  ← { "type": "peer", "email", "observed" } to the requester,
 *                                                        and the same about the requester to the target, at once
 *   → { "type": "connect", "target_ip": "x.x.x.x" }    the older form: from a registered source, to a target
 *                                                        registered from that IP
 *   ← { "type": "error", "error": "not_registered" | "invalid_token" | "rate_limited" }
 *
 * A registration is the address a register (or connect) datagram came from, kept 120 s after the
 * last one. Tokens are HMACs checked without state (./token.ts).
 *
 * Hardening: datagrams over 1200 bytes, non-JSON, or of an unknown shape get no answer; an error is
 * sent only when it is no larger than the datagram that caused it, and answers go only to the
 * datagram's source or to a registered address (no amplification, no reflection to third parties);
 * every source address (IPv6 by /64) has a token bucket; registrations and buckets are bounded in
 * number and swept in the background; the handler never throws.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import ipaddr from 'ipaddr.js'
import {
  MATCHMAKER_MAX_DATAGRAM_BYTES,
  MATCHMAKER_REGISTRATION_TTL_S,
  MatchmakerErrorCode,
  type MatchmakerReply,
} from '@flashback/protocol'
import { addressKey } from '../plugins/rate-limit.js'
import { verifyToken, type TokenClaims } from './token.js'

/** The little of a pino logger this needs. */
export interface MatchmakerLogger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
}

export interface MatchmakerOptions {
  /** Listen address ('::' = dual stack). */
  host: string
  /** UDP port (0 = any free port). */
  port: number
  /** The HMAC key tokens are checked with (matchmakerKey(store)). */
  key: Uint8Array
  logger?: MatchmakerLogger
  /** The clock in ms (tests). */
  now?: () => number
  /** A registration lapses this long after its last register (default 120 s). */
  registrationTtlMs?: number
  /** Between background sweeps of lapsed registrations and idle buckets (default 30 s; 0 = none). */
  sweepIntervalMs?: number
  /** Most registrations kept; the oldest go first when full (default 100,000). */
  maxRegistrations?: number
  /** Datagrams per second per source address, and the burst allowed (default 20 and 40; perSecond 0 = no limit). */
  rate?: { perSecond: number; burst: number }
  /** Most source addresses tracked by the rate limiter (default 100,000). */
  maxSources?: number
}

export interface MatchmakerStats {
  received: number
  oversized: number
  malformed: number
  rateLimited: number
  invalidTokens: number
  registers: number
  connects: number
  notRegistered: number
  registrations: number
}

export interface RunningMatchmaker {
  /** The bound UDP port. */
  readonly port: number
  /** The bound address. */
  readonly address: string
  stats(): MatchmakerStats
  /** Drop lapsed registrations and idle rate buckets now; returns how many registrations went. */
  sweep(now?: number): number
  close(): Promise<void>
}

interface Registration {
  email: string
  fingerprint: string
  /** The observed IP, IPv4-mapped IPv6 shown as IPv4. */
  ip: string
  port: number
  /** The address as the socket reports it (what send() needs on a dual-stack socket). */
  sendAddress: string
  seenAt: number
}

interface Bucket {
  tokens: number
  at: number
}

const silent: MatchmakerLogger = { debug: () => {}, info: () => {}, warn: () => {} }

/** IPv4-mapped IPv6 (`::ffff:192.0.2.1`, what a dual-stack socket reports) as plain IPv4. */
export function observedIp(address: string): string {
  const mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(address)
  return mapped ? (mapped[1] as string) : address
}

/** A target_ip in the form registrations are kept in, or undefined when it is no IP literal. */
function normalizeTargetIp(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 45 || !ipaddr.isValid(value)) return undefined
  if (ipaddr.IPv4.isValid(value) && !ipaddr.IPv4.isValidFourPartDecimal(value)) return undefined
  const parsed = ipaddr.parse(value)
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6
    return v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toString()
  }
  return parsed.toString()
}

function canonicalIp(ip: string): string {
  return normalizeTargetIp(ip) ?? ip
}

export function startMatchmaker(options: MatchmakerOptions): Promise<RunningMatchmaker> {
  const log = options.logger ?? silent
  const now = options.now ?? Date.now
  const ttlMs = options.registrationTtlMs ?? MATCHMAKER_REGISTRATION_TTL_S * 1000
  const maxRegistrations = options.maxRegistrations ?? 100_000
  const perSecond = options.rate?.perSecond ?? 20
  const burst = options.rate?.burst ?? 40
  const maxSources = options.maxSources ?? 100_000
  const key = options.key

  const registrations = new Map<string, Registration>()
  /** "ip|port" → e-mail (the older connect form finds its requester by source). */
  const bySource = new Map<string, string>()
  /** canonical IP → e-mails registered from it (the older form's target). */
  const byIp = new Map<string, Set<string>>()
  const buckets = new Map<string, Bucket>()
  const stats: Omit<MatchmakerStats, 'registrations'> = {
    received: 0,
    oversized: 0,
    malformed: 0,
    rateLimited: 0,
    invalidTokens: 0,
    registers: 0,
    connects: 0,
    notRegistered: 0,
  }

  const socket: Socket = createSocket({ type: options.host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false })

  function unindex(reg: Registration): void {
    bySource.delete(`${reg.ip}|${reg.port}`)
    const set = byIp.get(canonicalIp(reg.ip))
    if (set) {
      set.delete(reg.email)
      if (set.size === 0) byIp.delete(canonicalIp(reg.ip))
    }
  }

  function drop(email: string): void {
    const reg = registrations.get(email)
    if (!reg) return
    unindex(reg)
    registrations.delete(email)
  }

  function live(email: string, at: number): Registration | undefined {
    const reg = registrations.get(email)
    if (!reg) return undefined
    if (reg.seenAt + ttlMs <= at) {
      drop(email)
      return undefined
    }
    return reg
  }

  function upsert(claims: TokenClaims, rinfo: RemoteInfo, at: number): Registration {
    const existing = registrations.get(claims.email)
    if (existing) unindex(existing)
    // Re-inserting keeps the Map in last-seen order, so the oldest registration is the first key.
    registrations.delete(claims.email)
    while (registrations.size >= maxRegistrations) {
      const oldest = registrations.keys().next().value as string
      drop(oldest)
    }
    const reg: Registration = {
      email: claims.email,
      fingerprint: claims.fingerprint,
      ip: observedIp(rinfo.address),
      port: rinfo.port,
      sendAddress: rinfo.address,
      seenAt: at,
    }
    registrations.set(reg.email, reg)
    // A source belongs to one identity at a time: the newest register from it wins.
    const sourceKey = `${reg.ip}|${reg.port}`
    const previousOwner = bySource.get(sourceKey)
    if (previousOwner !== undefined && previousOwner !== reg.email) drop(previousOwner)
    bySource.set(sourceKey, reg.email)
    const ipKey = canonicalIp(reg.ip)
    let set = byIp.get(ipKey)
    if (!set) byIp.set(ipKey, (set = new Set()))
    set.add(reg.email)
    return reg
  }

  /** Token bucket per source address; false when this datagram is over the budget. */
  function allow(address: string, at: number): boolean {
    if (perSecond <= 0) return true
    const bucketKey = addressKey(observedIp(address))
    let bucket = buckets.get(bucketKey)
    if (!bucket) {
      if (buckets.size >= maxSources) {
        // Full: forget the longest-tracked source (a flood of spoofed sources cannot grow memory).
        buckets.delete(buckets.keys().next().value as string)
      }
      bucket = { tokens: burst, at }
      buckets.set(bucketKey, bucket)
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((at - bucket.at) / 1000) * perSecond)
    bucket.at = at
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  function send(message: MatchmakerReply, address: string, port: number, limitBytes?: number): void {
    const bytes = Buffer.from(JSON.stringify(message), 'utf8')
    if (limitBytes !== undefined && bytes.length > limitBytes) return
    socket.send(bytes, port, address, (err) => {
      if (err) log.debug({ err: err.message }, 'matchmaker send failed')
    })
  }

  function sendError(code: string, rinfo: RemoteInfo, requestBytes: number): void {
    send({ type: 'error', error: code }, rinfo.address, rinfo.port, requestBytes)
  }

  function authenticate(token: unknown, rinfo: RemoteInfo, requestBytes: number, at: number): TokenClaims | undefined {
    const check = verifyToken(key, token, Math.floor(at / 1000))
    if (check.ok) return check.claims
    stats.invalidTokens++
    sendError(MatchmakerErrorCode.invalidToken, rinfo, requestBytes)
    return undefined
  }

  function introduce(a: Registration, b: Registration): void {
    // Both at once, so each side's first packets toward the other open its NAT while the other's arrive.
    send({ type: 'peer', email: b.email, observed: { ip: b.ip, port: b.port } }, a.sendAddress, a.port)
    send({ type: 'peer', email: a.email, observed: { ip: a.ip, port: a.port } }, b.sendAddress, b.port)
  }

  function handle(msg: Buffer, rinfo: RemoteInfo): void {
    stats.received++
    if (msg.length > MATCHMAKER_MAX_DATAGRAM_BYTES) {
      stats.oversized++
      return
    }
    const at = now()
    if (!allow(rinfo.address, at)) {
      stats.rateLimited++
      return
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(msg.toString('utf8'))
    } catch {
      stats.malformed++
      return
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      stats.malformed++
      return
    }
    const datagram = parsed as Record<string, unknown>
    if (datagram.type === 'register') {
      const claims = authenticate(datagram.token, rinfo, msg.length, at)
      if (!claims) return
      const reg = upsert(claims, rinfo, at)
      stats.registers++
      log.debug({ email: reg.email }, 'matchmaker registration')
      send({ type: 'registered', observed: { ip: reg.ip, port: reg.port } }, rinfo.address, rinfo.port)
      return
    }
    if (datagram.type === 'connect') {
      const byEmail = typeof datagram.target === 'string' && datagram.target.length <= 254
      const targetIp = byEmail ? undefined : normalizeTargetIp(datagram.target_ip)
      if (!byEmail && targetIp === undefined) {
        stats.malformed++
        return
      }
      let requester: Registration | undefined
      if (datagram.token !== undefined) {
        const claims = authenticate(datagram.token, rinfo, msg.length, at)
        if (!claims) return
        // A connect proves the requester's address as well as a register does.
        requester = upsert(claims, rinfo, at)
      } else {
        const email = bySource.get(`${observedIp(rinfo.address)}|${rinfo.port}`)
        requester = email === undefined ? undefined : live(email, at)
        if (requester) requester.seenAt = at
      }
      stats.connects++
      let target: Registration | undefined
      if (requester && byEmail) {
        target = live((datagram.target as string).trim().toLowerCase(), at)
      } else if (requester && targetIp !== undefined) {
        let newest: Registration | undefined
        for (const email of byIp.get(targetIp) ?? []) {
          const reg = live(email, at)
          if (reg && reg.email !== requester.email && (!newest || reg.seenAt > newest.seenAt)) newest = reg
        }
        target = newest
      }
      if (!requester || !target) {
        stats.notRegistered++
        sendError(MatchmakerErrorCode.notRegistered, rinfo, msg.length)
        return
      }
      introduce(requester, target)
      return
    }
    stats.malformed++
  }

  function sweep(at = now()): number {
    let dropped = 0
    for (const [email, reg] of registrations) {
      if (reg.seenAt + ttlMs <= at) {
        drop(email)
        dropped++
      }
    }
    // A bucket idle long enough to be full again carries no information.
    const idleMs = perSecond > 0 ? (burst / perSecond) * 1000 : 0
    for (const [bucketKey, bucket] of buckets) if (at - bucket.at >= idleMs) buckets.delete(bucketKey)
    return dropped
  }

  return new Promise((resolve, reject) => {
    const onListenError = (err: Error) => reject(err)
    socket.once('error', onListenError)
    socket.bind({ port: options.port, address: options.host, exclusive: true }, () => {
      socket.off('error', onListenError)
      socket.on('error', (err) => log.warn({ err: err.message }, 'matchmaker socket error'))
      socket.on('message', (msg, rinfo) => {
        try {
          handle(msg, rinfo)
        } catch (err) {
          // Never reached by design; if it ever is, the listener must stay up.
          log.warn({ err: (err as Error).message }, 'matchmaker datagram failed')
        }
      })
      try {
        socket.setRecvBufferSize(1 << 20)
      } catch {
        // The system may cap the buffer; the default still works.
      }
      const interval = options.sweepIntervalMs ?? 30_000
      const timer = interval > 0 ? setInterval(() => sweep(), interval) : undefined
      timer?.unref()
      const bound = socket.address()
      let closed: Promise<void> | undefined
      resolve({
        port: bound.port,
        address: bound.address,
        stats: () => ({ ...stats, registrations: registrations.size }),
        sweep,
        close: () =>
          (closed ??= new Promise<void>((done) => {
            if (timer) clearInterval(timer)
            socket.close(() => done())
          })),
      })
    })
  })
}
