/**
 * The relay tracker's HTTP API (services/tracker), as clients see it.
 * Field names are a public contract: other programs are written against them.
 */
import { Type, type Static } from 'typebox'

export const TRACKER_API_PREFIX = '/api/relay'
/** Ready bodies carry at most this many addresses. */
export const MAX_ADDRESSES = 32
/** Capabilities are free-form JSON of at most this many bytes (serialised). */
export const MAX_CAPABILITIES_BYTES = 4096
export const LIST_DEFAULT_LIMIT = 500
export const LIST_MAX_LIMIT = 5000

const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254, description: 'e-mail address' })
const Fingerprint = Type.String({
  pattern: '^[0-9a-f]{64}$',
  description: 'SHA-256 of the certificate DER, lower-case hex',
})
const Port = Type.Integer({ minimum: 1, maximum: 65535 })
/** An IPv4 or IPv6 literal without port or zone id; checked semantically by the tracker. */
const Address = Type.String({ minLength: 2, maxLength: 45, description: 'IPv4 or IPv6 literal' })

export const RegisterBody = Type.Object(
  {
    certificate: Type.String({ minLength: 1, maxLength: 16384, description: 'PEM certificate' }),
    email: Type.String({ format: 'email', minLength: 3, maxLength: 254, description: 'the certificate\'s CN or a SAN e-mail' }),
  },
  { additionalProperties: false },
)
export type RegisterBody = Static<typeof RegisterBody>

export const RegisterReply = Type.Object({
  client_id: Type.String(),
  email: Type.String(),
  fingerprint: Fingerprint,
})
export type RegisterReply = Static<typeof RegisterReply>

export const Capabilities = Type.Record(Type.String(), Type.Unknown())
export type Capabilities = Static<typeof Capabilities>

export const ReadyBody = Type.Object(
  {
    port: Port,
    addresses: Type.Array(Address, { minItems: 1, maxItems: MAX_ADDRESSES, uniqueItems: true }),
    capabilities: Type.Optional(Capabilities),
  },
  { additionalProperties: false },
)
export type ReadyBody = Static<typeof ReadyBody>

export const ReadyReply = Type.Object({
  broadcast_id: Type.String(),
  expires_in: Type.Integer({ minimum: 0 }),
})
export type ReadyReply = Static<typeof ReadyReply>

/** One online peer, as lookup and list return it. */
export const PeerBroadcast = Type.Object({
  email: Type.String(),
  port: Port,
  addresses: Type.Array(Type.String()),
  capabilities: Capabilities,
  fingerprint: Fingerprint,
  last_seen: Type.String({ format: 'date-time' }),
  expires_in: Type.Integer({ minimum: 0 }),
})
export type PeerBroadcast = Static<typeof PeerBroadcast>

export const LookupQuery = Type.Object({ email: Email }, { additionalProperties: false })
export type LookupQuery = Static<typeof LookupQuery>

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIST_MAX_LIMIT, default: LIST_DEFAULT_LIMIT })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
)
export type ListQuery = Static<typeof ListQuery>

export const ListReply = Type.Array(PeerBroadcast)
export type ListReply = Static<typeof ListReply>

export const HeartbeatReply = Type.Object({ expires_in: Type.Integer({ minimum: 0 }) })
export type HeartbeatReply = Static<typeof HeartbeatReply>

export const IdentityQuery = Type.Object({ email: Email }, { additionalProperties: false })
export type IdentityQuery = Static<typeof IdentityQuery>

export const IdentityReply = Type.Object({
  email: Type.String(),
  fingerprint: Fingerprint,
  registered_at: Type.String({ format: 'date-time' }),
})
export type IdentityReply = Static<typeof IdentityReply>

export const StatusReply = Type.Object({
  status: Type.Literal('ok'),
  version: Type.String(),
  uptime_s: Type.Number({ minimum: 0 }),
  peers_online: Type.Integer({ minimum: 0 }),
  registered_clients: Type.Integer({ minimum: 0 }),
})
export type StatusReply = Static<typeof StatusReply>

export const HealthReply = Type.Object({ status: Type.Literal('ok') })
export type HealthReply = Static<typeof HealthReply>

/** Error codes only the tracker answers with (the shared ones are in ErrorCode). */
export const TrackerErrorCode = {
  /** The certificate is already registered under another e-mail address. */
  certificateTaken: 'certificate_taken',
} as const
export type TrackerErrorCode = (typeof TrackerErrorCode)[keyof typeof TrackerErrorCode]
