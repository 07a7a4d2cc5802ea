/**
 * The relay API's handlers, shared by /api/relay/* and the compatibility names under /api/peers/*.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import {
  certificateHasEmail,
  certificateIsCurrent,
  InvalidCertificateError,
  parseCertificate,
  type CertificateInfo,
} from '@flashback/identity'
import {
  LIST_DEFAULT_LIMIT,
  MAX_CAPABILITIES_BYTES,
  type HeartbeatReply,
  type ListQuery,
  type PeerBroadcast,
  type ReadyBody,
  type ReadyReply,
  type RegisterBody,
  type RegisterReply,
} from '@flashback/protocol'
import { checkAddresses } from '../../addresses.js'
import { replaceUnspecified } from '../../client-address.js'
import {
  CertificateExpired,
  CertificateMismatch,
  CertificateTaken,
  ClientCertificateRequired,
  EmailMismatch,
  EmailTaken,
  InvalidCertificate,
  NotOnline,
  ValidationFailed,
} from '../../errors.js'
import type { BroadcastRecord } from '../../store/types.js'
import type { Caller, PresentedCertificate } from '../../plugins/client-certificate.js'

export interface RelayOptions {
  /** Lifetime of a broadcast in seconds. */
  broadcastTtlS: number
  /** The clock (ms); tests may replace it. */
  now: () => number
}

/** Tolerated difference between the client's clock and ours when a certificate's validity starts. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000

/** Keys the tracker accepts: the issue names Ed25519, ECDSA P-256 and RSA 2048+; the other standard curves do no harm. */
export function acceptableKey(keyAlgorithm: string): boolean {
  if (/^(Ed25519|Ed448|ECDSA P-(256|384|521))$/.test(keyAlgorithm)) return true
  const rsa = /^RSA (\d+)$/.exec(keyAlgorithm)
  return rsa !== null && Number(rsa[1]) >= 2048
}

/** Seconds until `expiresAt`, rounded up (a broadcast with 300 ms left is still online). */
export function secondsUntil(expiresAt: number, now: number): number {
  return Math.max(0, Math.ceil((expiresAt - now) / 1000))
}

/**
 * The answer last made from each broadcast record. The store hands out the same record object
 * until the broadcast changes, and one is looked up many times in between: the answer is the same
 * object too until its expires_in ticks, so it is built (and, by the hot lane, serialized) once a
 * second at most instead of once a lookup (V8 formats last_seen through snprintf).
 */
const answers = new WeakMap<BroadcastRecord, PeerBroadcast>()

export function toPeerBroadcast(b: BroadcastRecord, now: number): PeerBroadcast {
  const expiresIn = secondsUntil(b.expiresAt, now)
  const known = answers.get(b)
  if (known !== undefined && known.expires_in === expiresIn) return known
  const answer: PeerBroadcast = Object.freeze({
    email: b.email,
    port: b.port,
    addresses: b.addresses,
    capabilities: b.capabilities,
    fingerprint: b.fingerprint,
    last_seen: known?.last_seen ?? new Date(b.lastSeen).toISOString(),
    expires_in: expiresIn,
  })
  answers.set(b, answer)
  return answer
}

export function encodeCursor(email: string): string {
  return Buffer.from(email, 'utf8').toString('base64url')
}

export function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined
  const email = Buffer.from(cursor, 'base64url').toString('utf8')
  return email.length > 0 && email.length <= 254 && !email.includes('\uFFFD') ? email : undefined
}

export function makeRelayHandlers(app: FastifyInstance, opts: RelayOptions) {
  const ttlMs = opts.broadcastTtlS * 1000

  return {
    async register(request: { clientCertificate: PresentedCertificate | null; body: RegisterBody; log: FastifyBaseLogger }): Promise<RegisterReply> {
      const presented = request.clientCertificate
      if (!presented) throw new ClientCertificateRequired()
      let info: CertificateInfo
      try {
        info = parseCertificate(request.body.certificate)
      } catch (err) {
        if (err instanceof InvalidCertificateError) throw new InvalidCertificate(`the certificate is not a valid PEM certificate: ${err.message}`)
        throw err
      }
      if (info.fingerprint !== presented.fingerprint) throw new CertificateMismatch()
      if (!acceptableKey(info.keyAlgorithm)) {
        throw new InvalidCertificate(`unsupported key (${info.keyAlgorithm}): use Ed25519, ECDSA P-256 or RSA of 2048 bits or more`)
      }
      const email = request.body.email.trim().toLowerCase()
      if (!certificateHasEmail(info, email)) throw new EmailMismatch()
      const now = opts.now()
      // A certificate made a moment ago on a machine whose clock runs ahead is not "not yet valid".
      const current = certificateIsCurrent(info, new Date(now)) || (now + CLOCK_SKEW_MS >= info.notBefore.getTime() && now <= info.notAfter.getTime())
      if (!current) {
        throw new CertificateExpired(
          `the certificate is valid from ${info.notBefore.toISOString()} to ${info.notAfter.toISOString()}, not now`,
        )
      }
      const result = await app.store.registerClient({ email, fingerprint: info.fingerprint, certificatePem: info.pem, now })
      if (result.outcome === 'email_taken') throw new EmailTaken()
      if (result.outcome === 'certificate_taken') throw new CertificateTaken()
      if (result.outcome === 'created') request.log.info({ email, fingerprint: info.fingerprint }, 'client registered')
      return { client_id: result.client.id, email: result.client.email, fingerprint: result.client.fingerprint }
    },

    /** `observed`: the client's address, which replaces an unspecified one (0.0.0.0, ::) in the list. */
    async ready(client: Caller, body: ReadyBody, observed?: string): Promise<ReadyReply> {
      const checked = checkAddresses(replaceUnspecified(body.addresses, observed))
      if (!checked.ok) {
        throw new ValidationFailed(
          checked.reason === 'invalid'
            ? `body/addresses/${checked.index} must be an IPv4 or IPv6 literal without port or zone id`
            : `body/addresses/${checked.index} duplicates an earlier address`,
        )
      }
      const capabilities = body.capabilities ?? {}
      const size = Buffer.byteLength(JSON.stringify(capabilities))
      if (size > MAX_CAPABILITIES_BYTES) {
        throw new ValidationFailed(`body/capabilities must be at most ${MAX_CAPABILITIES_BYTES} bytes of JSON (got ${size})`)
      }
      const now = opts.now()
      const broadcast = await app.store.upsertBroadcast({
        clientId: client.id,
        email: client.email,
        fingerprint: client.fingerprint,
        port: body.port,
        addresses: checked.addresses,
        capabilities,
        now,
        expiresAt: now + ttlMs,
      })
      return { broadcast_id: broadcast.broadcastId, expires_in: opts.broadcastTtlS }
    },

    /**
     * Not async: the busiest route saves a promise and a turn of the microtask queue. A peer that
     * is not online is answered with the error as a value rather than a throw (half of real lookups:
     * a rejection costs several times a fulfilment); addRegisteredRoute answers both the same way.
     */
    lookup(email: string): Promise<PeerBroadcast | Error> {
      const now = opts.now()
      return app.store
        .getBroadcastByEmail(email.trim().toLowerCase(), now)
        .then((broadcast) => (broadcast ? toPeerBroadcast(broadcast, now) : new NotOnline(`${email} is not online`)))
    },

    /** One page; `next` is the Link header value when more remain. */
    async list(query: ListQuery, path: string): Promise<{ page: PeerBroadcast[]; next?: string }> {
      const limit = query.limit ?? LIST_DEFAULT_LIMIT
      let afterEmail: string | undefined
      if (query.cursor !== undefined) {
        afterEmail = decodeCursor(query.cursor)
        if (afterEmail === undefined) throw new ValidationFailed('querystring/cursor is not a cursor this tracker handed out')
      }
      const now = opts.now()
      const rows = await app.store.listBroadcasts({ now, limit: limit + 1, afterEmail })
      const page = rows.slice(0, limit).map((b) => toPeerBroadcast(b, now))
      if (rows.length <= limit) return { page }
      const last = page[page.length - 1] as PeerBroadcast
      return { page, next: `<${path}?limit=${limit}&cursor=${encodeCursor(last.email)}>; rel="next"` }
    },

    /** The error of a heartbeat without a broadcast comes as a value, as lookup's does. */
    heartbeat(client: Caller): Promise<HeartbeatReply | Error> {
      const now = opts.now()
      return app.store
        .touchBroadcast(client.id, now, now + ttlMs)
        .then((broadcast) => (broadcast ? { expires_in: opts.broadcastTtlS } : new NotOnline('no live broadcast for this identity: send a ready first')))
    },

    async offline(client: Caller): Promise<void> {
      await app.store.deleteBroadcast(client.id)
    },
  }
}

/** The registered identity a `requireRegistered` route runs for. */
export function callerOf(request: { client: Caller | null }): Caller {
  if (!request.client) throw new Error('route without requireRegistered')
  return request.client
}

export type RelayHandlers = ReturnType<typeof makeRelayHandlers>
