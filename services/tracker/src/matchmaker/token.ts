/**
 * Matchmaker tokens: what a peer gets over mutual TLS (`POST /api/relay/matchmaker/token`) and puts
 * in its UDP datagrams, so the matchmaker knows who is talking without a handshake or any state.
 *
 *   token = base64url(payload) "." base64url(HMAC-SHA256(key, "flashback-matchmaker-token-v1" ‖ payload))
 *   payload = version (1 byte, 1) ‖ expiry (uint32 BE, seconds since the epoch)
 *             ‖ certificate fingerprint (32 bytes) ‖ e-mail (UTF-8, lower case)
 *
 * The key is a random 32-byte secret kept in the store, so every replica issues and checks the same
 * tokens. A token is a bearer credential for its lifetime (MATCHMAKER_TOKEN_TTL_S): it proves who
 * asked for it, and it is only good for the matchmaker.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { RegistryStore } from '../store/types.js'

const VERSION = 1
const CONTEXT = Buffer.from('flashback-matchmaker-token-v1')
const MAC_BYTES = 32
const HEADER_BYTES = 1 + 4 + 32
/** Longest token string a valid issue can produce (254-byte e-mail); longer input is rejected unread. */
export const MAX_TOKEN_LENGTH = Math.ceil(((HEADER_BYTES + 254 * 4) * 4) / 3) + 1 + Math.ceil((MAC_BYTES * 4) / 3)

export interface TokenClaims {
  /** Lower-case e-mail of the registered identity. */
  email: string
  /** SHA-256 of its certificate, lower-case hex. */
  fingerprint: string
  /** Expiry, seconds since the epoch. */
  expiresAtS: number
}

/** The name of the matchmaker's key in the store's shared secrets. */
export const MATCHMAKER_SECRET_NAME = 'matchmaker-token-key'

/** The matchmaker's HMAC key: made on first use, shared through the store by every replica. */
export function matchmakerKey(store: Pick<RegistryStore, 'sharedSecret'>, now = Date.now()): Promise<Buffer> {
  return store.sharedSecret(MATCHMAKER_SECRET_NAME, randomBytes(32), now)
}

function mac(key: Uint8Array, payload: Uint8Array): Buffer {
  return createHmac('sha256', key).update(CONTEXT).update(payload).digest()
}

export function issueToken(key: Uint8Array, claims: TokenClaims): string {
  if (!/^[0-9a-f]{64}$/.test(claims.fingerprint)) throw new Error('the fingerprint must be 64 lower-case hex digits')
  const email = Buffer.from(claims.email, 'utf8')
  const payload = Buffer.alloc(HEADER_BYTES + email.length)
  payload.writeUInt8(VERSION, 0)
  payload.writeUInt32BE(claims.expiresAtS >>> 0, 1)
  Buffer.from(claims.fingerprint, 'hex').copy(payload, 5)
  email.copy(payload, HEADER_BYTES)
  return `${payload.toString('base64url')}.${mac(key, payload).toString('base64url')}`
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: 'malformed' | 'forged' | 'expired' }

/** Check a token's MAC (in constant time) and expiry; never throws, whatever the input. */
export function verifyToken(key: Uint8Array, token: unknown, nowS: number): TokenCheck {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' }
  const dot = token.indexOf('.')
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return { ok: false, reason: 'malformed' }
  const encodedPayload = token.slice(0, dot)
  const encodedMac = token.slice(dot + 1)
  if (!/^[A-Za-z0-9_-]+$/.test(encodedPayload) || !/^[A-Za-z0-9_-]+$/.test(encodedMac)) return { ok: false, reason: 'malformed' }
  const payload = Buffer.from(encodedPayload, 'base64url')
  const given = Buffer.from(encodedMac, 'base64url')
  if (payload.length <= HEADER_BYTES || given.length !== MAC_BYTES) return { ok: false, reason: 'malformed' }
  if (!timingSafeEqual(given, mac(key, payload))) return { ok: false, reason: 'forged' }
  if (payload.readUInt8(0) !== VERSION) return { ok: false, reason: 'malformed' }
  const expiresAtS = payload.readUInt32BE(1)
  if (expiresAtS <= nowS) return { ok: false, reason: 'expired' }
  const fingerprint = payload.subarray(5, HEADER_BYTES).toString('hex')
  const email = payload.subarray(HEADER_BYTES).toString('utf8')
  return { ok: true, claims: { email, fingerprint, expiresAtS } }
}
