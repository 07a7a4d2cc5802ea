/**
 * What the peer runtime (services/peer/src/runtime) reports about itself: its status snapshot, friends,
 * peer statuses, downloads, and the typed event stream the desktop main process and web mode forward
 * to the UI (IPC events or server-sent events). Platform-free, like the rest of this package.
 */
import { Type, type Static, type TSchema } from 'typebox'
import { AccessPolicy } from './peer.js'

const DateTime = Type.String({ format: 'date-time' })
const Email = Type.String({ minLength: 3, maxLength: 254 })
const Fingerprint = Type.String({ pattern: '^[0-9a-f]{64}$' })

/** A failure as the runtime reports it: a machine-readable code and a sentence for people. */
export const RuntimeErrorInfo = Type.Object({
  code: Type.String({ maxLength: 64 }),
  message: Type.String({ maxLength: 2048 }),
})
export type RuntimeErrorInfo = Static<typeof RuntimeErrorInfo>

/** How a peer (a friend, or anyone visited) looks from here. */
export const PeerStatus = Type.Union([
  Type.Literal('online'),
  Type.Literal('offline'),
  Type.Literal('checking'),
  Type.Literal('error'),
])
export type PeerStatus = Static<typeof PeerStatus>

/**
 * The runtime's relation with the tracker.
 * `email_taken` and `rejected` are terminal: the runtime does not retry until the settings change.
 */
export const TrackerState = Type.Union([
  /** Not started, or stopped. */
  Type.Literal('stopped'),
  /** Registering (first contact of this run). */
  Type.Literal('registering'),
  /** Registered; the broadcast is being sent. */
  Type.Literal('registered'),
  /** The tracker holds our broadcast; heartbeats keep it alive. */
  Type.Literal('broadcasting'),
  /** The tracker is unreachable or failing; retrying with exponential backoff. */
  Type.Literal('retrying'),
  /** 409: this e-mail is registered with another certificate. */
  Type.Literal('email_taken'),
  /** The tracker refused our certificate or request (400/401/403); the error says why. */
  Type.Literal('rejected'),
])
export type TrackerState = Static<typeof TrackerState>

export const TrackerStatus = Type.Object({
  url: Type.Optional(Type.String()),
  state: TrackerState,
  lastHeartbeatAt: Type.Optional(DateTime),
  /** When the tracker forgets our broadcast unless a heartbeat comes first. */
  expiresAt: Type.Optional(DateTime),
  nextRetryAt: Type.Optional(DateTime),
  error: Type.Optional(RuntimeErrorInfo),
})
export type TrackerStatus = Static<typeof TrackerStatus>

export const ServerStatus = Type.Object({
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  addresses: Type.Array(Type.String()),
  access: AccessPolicy,
  bindAll: Type.Boolean(),
})
export type ServerStatus = Static<typeof ServerStatus>

export const RuntimeStatus = Type.Object({
  /** True between start() and stop(). */
  running: Type.Boolean(),
  email: Type.Optional(Email),
  fingerprint: Type.Optional(Fingerprint),
  server: Type.Optional(ServerStatus),
  tracker: TrackerStatus,
})
export type RuntimeStatus = Static<typeof RuntimeStatus>

export const FriendInfo = Type.Object({
  email: Email,
  /** Learned from the tracker when the friend was added (or given by the user): the certificate we expect. */
  fingerprint: Fingerprint,
  nickname: Type.Optional(Type.String({ maxLength: 100 })),
  addedAt: DateTime,
})
export type FriendInfo = Static<typeof FriendInfo>

export const PeerStatusReport = Type.Object({
  email: Email,
  status: PeerStatus,
  /** Why, for `error` (and for `offline` when there is more to say). */
  message: Type.Optional(Type.String({ maxLength: 2048 })),
  checkedAt: Type.Optional(DateTime),
  /** The address that answered, for `online`. */
  address: Type.Optional(Type.String()),
})
export type PeerStatusReport = Static<typeof PeerStatusReport>

export const DownloadState = Type.Union([
  Type.Literal('running'),
  Type.Literal('completed'),
  Type.Literal('failed'),
  /** Cancelled by the user; the partial file is kept so the download can be resumed. */
  Type.Literal('cancelled'),
])
export type DownloadState = Static<typeof DownloadState>

export const DownloadInfo = Type.Object({
  id: Type.String({ maxLength: 64 }),
  email: Email,
  /** The file's path in the peer's share. */
  path: Type.String(),
  /** Where it is written on this machine. */
  dest: Type.String(),
  state: DownloadState,
  /** Bytes on disk so far, including what an earlier attempt left. */
  received: Type.Integer({ minimum: 0 }),
  /** The file's size when the peer said it. */
  total: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Bytes kept from an earlier, interrupted attempt (0 for a fresh start). */
  resumedFrom: Type.Integer({ minimum: 0 }),
  error: Type.Optional(RuntimeErrorInfo),
  startedAt: DateTime,
  updatedAt: DateTime,
})
export type DownloadInfo = Static<typeof DownloadInfo>

/**
 * Publishing the share to the tracker's file registry (the profile's `publish` setting):
 * off · waiting (on, but the peer is not running: it starts with it) · scanning the share · hashing what the hash
 * cache does not know · idle (everything hashed; `pending` says whether the registry is in step yet).
 */
export const PublishingState = Type.Union([
  Type.Literal('off'),
  Type.Literal('waiting'),
  Type.Literal('scanning'),
  Type.Literal('hashing'),
  Type.Literal('idle'),
])
export type PublishingState = Static<typeof PublishingState>

const Count = Type.Integer({ minimum: 0 })

export const PublishingStatus = Type.Object({
  /** The setting (for this run). */
  enabled: Type.Boolean(),
  state: PublishingState,
  /** Publishable files found in the share, and of them hashed (from the cache or now). */
  files: Count,
  hashed: Count,
  bytes: Count,
  bytesHashed: Count,
  /** Files that could not be read (left out until they change). */
  unreadable: Count,
  /** Entries the tracker holds for us, as far as we know, and changes still to send. */
  published: Count,
  pending: Count,
  /** False when the tracker keeps no file registry (nothing is sent). */
  syncing: Type.Boolean(),
  /** The file being hashed now (path in the share). */
  current: Type.Optional(Type.String({ maxLength: 4096 })),
  /** The last failure (the tracker, the share, the hash cache), until publishing succeeds again. */
  error: Type.Optional(Type.Object({ message: Type.String({ maxLength: 2048 }), at: DateTime })),
})
export type PublishingStatus = Static<typeof PublishingStatus>

const event = <T extends string, P extends Record<string, TSchema>>(type: T, properties: P) =>
  Type.Object({ type: Type.Literal(type), at: DateTime, ...properties })

export const ServerReadyEvent = event('server_ready', { port: Type.Integer(), addresses: Type.Array(Type.String()) })
export const RegisteredEvent = event('registered', { email: Email, fingerprint: Fingerprint, clientId: Type.String() })
export const EmailTakenEvent = event('email_taken', { email: Email, message: Type.String() })
export const TrackerRejectedEvent = event('tracker_rejected', { error: RuntimeErrorInfo })
export const BroadcastingEvent = event('broadcasting', {
  port: Type.Integer(),
  addresses: Type.Array(Type.String()),
  expiresIn: Type.Integer({ minimum: 0 }),
})
export const HeartbeatEvent = event('heartbeat', { expiresIn: Type.Integer({ minimum: 0 }) })
export const HeartbeatFailedEvent = event('heartbeat_failed', {
  error: RuntimeErrorInfo,
  /** 0 when the runtime re-broadcasts at once (the tracker had forgotten us). */
  retryInMs: Type.Integer({ minimum: 0 }),
})
export const TrackerErrorEvent = event('tracker_error', {
  operation: Type.Union([Type.Literal('register'), Type.Literal('ready')]),
  error: RuntimeErrorInfo,
  retryInMs: Type.Integer({ minimum: 0 }),
})
export const OfflineEvent = event('offline', {})
export const PeerStatusEvent = event('peer_status', {
  email: Email,
  status: PeerStatus,
  message: Type.Optional(Type.String()),
  address: Type.Optional(Type.String()),
})
export const FriendsChangedEvent = event('friends_changed', { friends: Type.Array(FriendInfo) })
export const DownloadEvent = event('download', { download: DownloadInfo })
export const StatusEvent = event('status', { status: RuntimeStatus })
export const StoppedEvent = event('stopped', {})
/** Publishing changed: the setting, the state, hashing progress (a few times per second at most), an error. */
export const PublishingEvent = event('publishing', { publishing: PublishingStatus })

/** Everything the runtime tells its listeners, discriminated by `type`. */
export const RuntimeEvent = Type.Union([
  ServerReadyEvent,
  RegisteredEvent,
  EmailTakenEvent,
  TrackerRejectedEvent,
  BroadcastingEvent,
  HeartbeatEvent,
  HeartbeatFailedEvent,
  TrackerErrorEvent,
  OfflineEvent,
  PeerStatusEvent,
  FriendsChangedEvent,
  DownloadEvent,
  StatusEvent,
  StoppedEvent,
  PublishingEvent,
])
export type RuntimeEvent = Static<typeof RuntimeEvent>
export type RuntimeEventType = RuntimeEvent['type']
/** The event of one type: `RuntimeEventOf<'peer_status'>`. */
export type RuntimeEventOf<T extends RuntimeEventType> = Extract<RuntimeEvent, { type: T }>
