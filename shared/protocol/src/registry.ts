/**
 * The tracker's file registry (who has this file) and its UDP matchmaker (rendezvous for NAT hole
 * punching), as clients see them. Field names are a public contract: other programs are written
 * against them.
 */
import { Type, type Static } from 'typebox'

export const REGISTRY_API_PREFIX = '/api/registry'
/** One publish (or unpublish) request carries at most this many entries. */
export const REGISTRY_MAX_FILES_PER_REQUEST = 1000
/** Publish bodies may be this large (the tracker's other routes take 64 KiB). */
export const REGISTRY_BODY_LIMIT = 1024 * 1024
export const REGISTRY_MAX_PATH_LENGTH = 1024
export const REGISTRY_MAX_NAME_LENGTH = 255
/** A name search needs at least this many characters. */
export const REGISTRY_SEARCH_MIN_CHARS = 2
export const REGISTRY_SEARCH_DEFAULT_LIMIT = 500
export const REGISTRY_SEARCH_MAX_LIMIT = 5000

/** Relative, `/`-separated path inside the publisher's share; no control characters. */
const SharePath = Type.String({
  minLength: 1,
  maxLength: REGISTRY_MAX_PATH_LENGTH,
  pattern: '^[^\\x00-\\x1f\\x7f]+$',
  description: 'path of the file inside the share, "/"-separated',
})
/** A file name: no separators, no control characters. */
const FileName = Type.String({
  minLength: 1,
  maxLength: REGISTRY_MAX_NAME_LENGTH,
  pattern: '^[^/\\x00-\\x1f\\x7f]+$',
  description: 'the file name (last path segment)',
})
export const Sha256Hex = Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'SHA-256 of the content, hex' })
const Fingerprint = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the certificate DER, lower-case hex' })

export const RegistryFile = Type.Object(
  {
    path: SharePath,
    name: FileName,
    sha256: Sha256Hex,
    size: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  },
  { additionalProperties: false },
)
export type RegistryFile = Static<typeof RegistryFile>

export const PublishBody = Type.Object(
  { files: Type.Array(RegistryFile, { minItems: 1, maxItems: REGISTRY_MAX_FILES_PER_REQUEST }) },
  { additionalProperties: false },
)
export type PublishBody = Static<typeof PublishBody>

/** `files`: how many entries this request stored (added or updated). */
export const PublishReply = Type.Object({ files: Type.Integer({ minimum: 0 }) })
export type PublishReply = Static<typeof PublishReply>

export const UnpublishBody = Type.Object(
  { paths: Type.Array(SharePath, { minItems: 1, maxItems: REGISTRY_MAX_FILES_PER_REQUEST }) },
  { additionalProperties: false },
)
export type UnpublishBody = Static<typeof UnpublishBody>

export const UnpublishQuery = Type.Object({ all: Type.Optional(Type.Boolean()) }, { additionalProperties: false })
export type UnpublishQuery = Static<typeof UnpublishQuery>

/** `files`: how many entries were removed. */
export const UnpublishReply = Type.Object({ files: Type.Integer({ minimum: 0 }) })
export type UnpublishReply = Static<typeof UnpublishReply>

/** Exactly one of `name` (case-insensitive substring) and `sha256`. */
export const SearchQuery = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: REGISTRY_SEARCH_MIN_CHARS, maxLength: REGISTRY_MAX_NAME_LENGTH })),
    sha256: Type.Optional(Sha256Hex),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: REGISTRY_SEARCH_MAX_LIMIT, default: REGISTRY_SEARCH_DEFAULT_LIMIT })),
    cursor: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: false },
)
export type SearchQuery = Static<typeof SearchQuery>

export const SearchHit = Type.Object({
  email: Type.String(),
  fingerprint: Fingerprint,
  path: Type.String(),
  name: Type.String(),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  size: Type.Integer({ minimum: 0 }),
  /** The publisher has a live broadcast now. */
  online: Type.Boolean(),
})
export type SearchHit = Static<typeof SearchHit>

/** Online publishers first, then by e-mail and path; more pages behind `Link: <…>; rel="next"`. */
export const SearchReply = Type.Array(SearchHit)
export type SearchReply = Static<typeof SearchReply>

export const RegistryStats = Type.Object({
  /** Entries. */
  files: Type.Integer({ minimum: 0 }),
  /** Distinct content hashes. */
  hashes: Type.Integer({ minimum: 0 }),
  /** Identities publishing at least one entry. */
  peers: Type.Integer({ minimum: 0 }),
})
export type RegistryStats = Static<typeof RegistryStats>

// ---- the UDP matchmaker ----

export const MATCHMAKER_DEFAULT_PORT = 12345
/** Datagrams larger than this are dropped unanswered. */
export const MATCHMAKER_MAX_DATAGRAM_BYTES = 1200
/** A registration lapses this long after its last `register`. */
export const MATCHMAKER_REGISTRATION_TTL_S = 120
/** How often a client re-registers (keep-alive; also keeps its NAT mapping open). */
export const MATCHMAKER_KEEPALIVE_S = 25

/** `POST /api/relay/matchmaker/token`: a bearer token for the matchmaker's datagrams. */
export const MatchmakerTokenReply = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 1024 }),
  expires_in: Type.Integer({ minimum: 0 }),
  /** The UDP port the matchmaker listens on (informational: a load balancer may map another). */
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
})
export type MatchmakerTokenReply = Static<typeof MatchmakerTokenReply>

export const ObservedAddress = Type.Object({
  ip: Type.String({ minLength: 2, maxLength: 45 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
})
export type ObservedAddress = Static<typeof ObservedAddress>

/** Client → matchmaker. */
export const MatchmakerRegister = Type.Object({
  type: Type.Literal('register'),
  token: Type.String({ minLength: 1, maxLength: 1024 }),
})
export type MatchmakerRegister = Static<typeof MatchmakerRegister>

/** Client → matchmaker: by e-mail (with a token), or the older design's `target_ip` (no token). */
export const MatchmakerConnect = Type.Object({
  type: Type.Literal('connect'),
  token: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  target: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
  target_ip: Type.Optional(Type.String({ minLength: 2, maxLength: 45 })),
})
export type MatchmakerConnect = Static<typeof MatchmakerConnect>

/** Matchmaker → client: the address its register came from. */
export const MatchmakerRegistered = Type.Object({ type: Type.Literal('registered'), observed: ObservedAddress })
export type MatchmakerRegistered = Static<typeof MatchmakerRegistered>

/** Matchmaker → both sides of a connect: where the other one is. */
export const MatchmakerPeer = Type.Object({ type: Type.Literal('peer'), email: Type.String(), observed: ObservedAddress })
export type MatchmakerPeer = Static<typeof MatchmakerPeer>

export const MatchmakerErrorCode = {
  /** The target (or, for target_ip, the requester) is not registered. */
  notRegistered: 'not_registered',
  /** The token is forged, malformed or expired: get a new one over HTTPS. */
  invalidToken: 'invalid_token',
  rateLimited: 'rate_limited',
} as const
export type MatchmakerErrorCode = (typeof MatchmakerErrorCode)[keyof typeof MatchmakerErrorCode]

export const MatchmakerError = Type.Object({ type: Type.Literal('error'), error: Type.String() })
export type MatchmakerError = Static<typeof MatchmakerError>

export const MatchmakerReply = Type.Union([MatchmakerRegistered, MatchmakerPeer, MatchmakerError])
export type MatchmakerReply = Static<typeof MatchmakerReply>
