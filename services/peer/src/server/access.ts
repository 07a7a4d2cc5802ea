/**
 * Who may read the share. The TLS layer always asks for a client certificate and accepts any (they are
 * self-signed); this decides, per request, from the certificate the visitor proved to hold:
 *
 * - `open`: anyone, certificate or not (only ever on loopback).
 * - `registered`: the certificate's SHA-256 must be the one the tracker holds for the e-mail in its CN.
 *   Answers are cached (a few minutes for a fingerprint, less for "not registered", not at all for a
 *   tracker that could not be asked) and concurrent questions about one e-mail share one request.
 * - `friends`: the (e-mail, fingerprint) pair must be in the local friends list, asked on every request
 *   so removing a friend takes effect at once.
 *
 * The visitor's identity is read once per TLS connection (a keep-alive connection keeps its certificate).
 */
import { type TLSSocket } from 'node:tls'
import { normalizeFingerprint } from '@flashback/identity'
import { ErrorCode, type AccessPolicy } from '@flashback/protocol'
import { HttpError } from './reply.js'
import { type Logger } from './logger.js'

export interface Visitor {
  email: string
  fingerprint: string
}

export interface FriendsList {
  isFriend(email: string, fingerprint: string): boolean | Promise<boolean>
}

/** The fingerprint the tracker holds for an e-mail, or undefined when it is not registered. Throws when the tracker cannot answer. */
export type IdentityLookup = (email: string) => Promise<string | undefined>

const visitors = new WeakMap<TLSSocket, Visitor | null>()

function certificateDate(value: string | undefined): number {
  return value === undefined ? Number.NaN : Date.parse(value)
}

/** The identity a TLS connection's client certificate carries, or null without a usable one. */
export function visitorOf(socket: TLSSocket): Visitor | null {
  const known = visitors.get(socket)
  if (known !== undefined) return known
  let visitor: Visitor | null = null
  const cert = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate(false) : undefined
  if (cert && cert.fingerprint256) {
    const cn = cert.subject?.CN
    const email = (Array.isArray(cn) ? cn[0] : cn)?.trim()
    const fingerprint = normalizeFingerprint(cert.fingerprint256)
    const now = Date.now()
    const current = certificateDate(cert.valid_from) <= now && now <= certificateDate(cert.valid_to)
    if (email && fingerprint && current) visitor = { email, fingerprint }
  }
  visitors.set(socket, visitor)
  return visitor
}

export interface AccessOptions {
  policy: AccessPolicy
  lookupIdentity?: IdentityLookup
  friends?: FriendsList
  logger: Logger
  /** How long a tracker answer naming a fingerprint is trusted. */
  registeredTtlMs?: number
  /** How long "this e-mail is not registered" is trusted (short: the visitor may be registering now). */
  unregisteredTtlMs?: number
}

interface CachedAnswer {
  fingerprint: string | undefined
  expires: number
}

/** Distinct e-mails being looked up at once; more get 503 until some answer. */
const MAX_PENDING_LOOKUPS = 16

const forbidden = (message: string): HttpError => new HttpError(403, ErrorCode.forbidden, message)

export class AccessControl {
  readonly policy: AccessPolicy
  readonly #opts: AccessOptions
  readonly #answers = new Map<string, CachedAnswer>()
  readonly #pending = new Map<string, Promise<string | undefined>>()
  readonly #registeredTtl: number
  readonly #unregisteredTtl: number

  constructor(opts: AccessOptions) {
    this.policy = opts.policy
    this.#opts = opts
    this.#registeredTtl = opts.registeredTtlMs ?? 5 * 60_000
    this.#unregisteredTtl = opts.unregisteredTtlMs ?? 30_000
    if (opts.policy === 'registered' && !opts.lookupIdentity) throw new Error('access "registered" needs lookupIdentity (the tracker identity lookup)')
    if (opts.policy === 'friends' && !opts.friends) throw new Error('access "friends" needs a friends list')
  }

  /** Resolves when the request may go on; throws HttpError 403 (or 503 when the tracker cannot answer). */
  async check(socket: TLSSocket): Promise<Visitor | null> {
    if (this.policy === 'open') return visitorOf(socket)
    const visitor = visitorOf(socket)
    if (!visitor) throw forbidden('this share needs a valid client certificate whose CN is your e-mail')
    if (this.policy === 'friends') {
      let ok: boolean
      try {
        ok = await (this.#opts.friends as FriendsList).isFriend(visitor.email, visitor.fingerprint)
      } catch (err) {
        this.#opts.logger.warn({ err: { message: (err as Error).message } }, 'the friends list could not be read')
        throw new HttpError(503, ErrorCode.unavailable, 'the friends list could not be read right now; try again later', { 'Retry-After': '10' })
      }
      if (!ok) {
        this.#opts.logger.info({ email: visitor.email, fingerprint: visitor.fingerprint }, 'visitor refused: not a friend')
        throw forbidden('this share is open to its owner’s friends only')
      }
      return visitor
    }
    let registered: string | undefined
    try {
      registered = await this.#registeredFingerprint(visitor.email)
    } catch (err) {
      this.#opts.logger.warn({ err: { message: (err as Error).message }, email: visitor.email }, 'tracker identity lookup failed')
      throw new HttpError(503, ErrorCode.unavailable, 'the tracker could not confirm your identity right now; try again later', { 'Retry-After': '10' })
    }
    if (registered !== visitor.fingerprint) {
      this.#opts.logger.info({ email: visitor.email, fingerprint: visitor.fingerprint }, 'visitor refused: not the registered certificate')
      throw forbidden(registered === undefined ? 'your e-mail is not registered with the tracker' : 'your certificate is not the one registered for your e-mail')
    }
    return visitor
  }

  async #registeredFingerprint(email: string): Promise<string | undefined> {
    const key = email.toLowerCase()
    const now = Date.now()
    const cached = this.#answers.get(key)
    if (cached && cached.expires > now) return cached.fingerprint
    const pending = this.#pending.get(key)
    if (pending) return pending
    // Every new e-mail costs a tracker request: a visitor minting certificates for random addresses
    // must not turn this peer into a flood against the tracker.
    if (this.#pending.size >= MAX_PENDING_LOOKUPS) throw new Error('too many identity lookups in flight')
    const lookup = (async () => {
      try {
        const answer = await (this.#opts.lookupIdentity as IdentityLookup)(email)
        const fingerprint = answer === undefined ? undefined : normalizeFingerprint(answer)
        this.#answers.set(key, { fingerprint, expires: Date.now() + (fingerprint ? this.#registeredTtl : this.#unregisteredTtl) })
        this.#prune()
        return fingerprint
      } finally {
        this.#pending.delete(key)
      }
    })()
    this.#pending.set(key, lookup)
    return lookup
  }

  /** Keep the cache bounded: drop expired answers when it grows. */
  #prune(): void {
    if (this.#answers.size < 10_000) return
    const now = Date.now()
    for (const [key, answer] of this.#answers) if (answer.expires <= now) this.#answers.delete(key)
    while (this.#answers.size >= 10_000) this.#answers.delete(this.#answers.keys().next().value as string)
  }
}
