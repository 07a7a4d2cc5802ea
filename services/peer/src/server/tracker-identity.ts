/**
 * `lookupIdentity` for the `registered` access policy: ask the tracker, over mutual TLS with this
 * peer's own identity, which certificate fingerprint is registered for an e-mail
 * (`GET /api/relay/identity?email=`). The tracker is recognised by its pinned SHA-256 fingerprint,
 * checked on every new connection before a request is written.
 */
import { type TLSSocket } from 'node:tls'
import { Agent, buildConnector, request } from 'undici'
import Value from 'typebox/value'
import { normalizeFingerprint } from '@flashback/identity'
import { IdentityReply, TRACKER_API_PREFIX } from '@flashback/protocol'
import { type IdentityLookup } from './access.js'

export interface TrackerIdentityLookupOptions {
  /** e.g. https://tracker.example:3000 */
  trackerUrl: string
  /** This peer's identity: the tracker only answers registered certificates. */
  identity: { certPem: string; keyPem: string }
  /** The tracker certificate's SHA-256 (any common spelling). */
  trackerFingerprint: string
  /** Per request (default 10 s). */
  timeoutMs?: number
}

export interface TrackerIdentityLookup {
  lookup: IdentityLookup
  close(): Promise<void>
}

const MAX_REPLY_BYTES = 64 * 1024

export class TrackerFingerprintError extends Error {
  constructor(actual: string | undefined) {
    super(`the tracker presented certificate ${actual ?? '(none)'}, not the pinned one`)
    this.name = 'TrackerFingerprintError'
  }
}

export function createTrackerIdentityLookup(opts: TrackerIdentityLookupOptions): TrackerIdentityLookup {
  const pinned = normalizeFingerprint(opts.trackerFingerprint)
  if (!pinned) throw new Error('trackerFingerprint is not a SHA-256 fingerprint')
  const timeout = opts.timeoutMs ?? 10_000
  const base = new URL(opts.trackerUrl)
  if (base.protocol !== 'https:') throw new Error('the tracker URL must be https')

  // Self-signed certificates fail OpenSSL's chain check by design: verify by fingerprint instead.
  const connect = buildConnector({
    cert: opts.identity.certPem,
    key: opts.identity.keyPem,
    rejectUnauthorized: false,
    maxCachedSessions: 0,
    timeout,
  })
  const dispatcher = new Agent({
    connect(options, callback) {
      connect(options, (err, socket) => {
        if (err || !socket) {
          callback(err ?? new Error('no socket'), null)
          return
        }
        const actual = normalizeFingerprint((socket as TLSSocket).getPeerCertificate().fingerprint256 ?? '')
        if (actual !== pinned) {
          socket.destroy()
          callback(new TrackerFingerprintError(actual), null)
          return
        }
        callback(null, socket)
      })
    },
    headersTimeout: timeout,
    bodyTimeout: timeout,
  })

  const lookup: IdentityLookup = async (email) => {
    const url = new URL(`${TRACKER_API_PREFIX}/identity`, base)
    url.searchParams.set('email', email)
    const res = await request(url, { dispatcher, method: 'GET', headers: { accept: 'application/json' } })
    const chunks: Buffer[] = []
    let length = 0
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      length += chunk.length
      if (length > MAX_REPLY_BYTES) {
        res.body.destroy()
        throw new Error('the tracker reply is too large')
      }
      chunks.push(chunk)
    }
    if (res.statusCode === 404) return undefined
    if (res.statusCode !== 200) throw new Error(`the tracker answered ${res.statusCode} to an identity lookup`)
    const reply: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    if (!Value.Check(IdentityReply, reply)) throw new Error('the tracker sent an invalid identity reply')
    if (reply.email.toLowerCase() !== email.toLowerCase()) throw new Error('the tracker answered for another e-mail')
    return reply.fingerprint
  }

  return { lookup, close: () => dispatcher.close() }
}
