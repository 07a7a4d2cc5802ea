/**
 * The bridge between the UI (React renderer) and the peer runtime: `FlashbackApi`.
 *
 * One table, `bridgeChannels`, names every method with the TypeBox schema of its one argument and of its result.
 * Everything else derives from it:
 * - Electron: the preload exposes `window.flashback` with one method per channel, each calling
 *   `ipcRenderer.invoke('flashback:<name>', arg)`; main checks the sender frame and validates `arg` against the
 *   channel's `args` schema (`checkBridgeArgs`) before acting. Events arrive on `flashback:event`.
 * - Web mode: `POST /api/bridge/<name>` with the JSON argument as body (`{}` when there is none), answered with the
 *   JSON result, or an error status with `{ error, message, field? }`. Events: server-sent events at
 *   `GET /api/bridge/events`, each message's `data` one JSON `BridgeEvent`.
 * - Remote file bytes (for `<img>`, `<video>`, `<audio>`, with `Range` passed through): `flashback://peer/<email>/<path>`
 *   in Electron, `/remote/<email>/<path>` in web mode; build them with `electronRemoteFileUrl` / `webRemoteFileUrl`,
 *   read them back with `parseRemoteFilePath`.
 *
 * Platform-free: no node:, no DOM, no electron. Value.Check interprets schemas (no eval), so it also runs under a
 * strict Content-Security-Policy in the renderer.
 */
import { Type, type Static, type TSchema } from 'typebox'
import Value from 'typebox/value'
import { AccessPolicy, CONTENT_MAX_BYTES, FileListing, FILES_MAX_LIMIT } from './peer.js'
import {
  DownloadState,
  PeerStatus,
  PublishingStatus,
  type DownloadInfo,
  type FriendInfo,
  type PeerStatusReport,
  type RuntimeStatus,
} from './runtime-events.js'
import { REGISTRY_MAX_NAME_LENGTH, REGISTRY_SEARCH_MIN_CHARS, type SearchHit } from './registry.js'
import { type PeerBroadcast } from './tracker.js'

// ---------------------------------------------------------------------------------------------------------------
// Transport constants
// ---------------------------------------------------------------------------------------------------------------

/** Electron IPC channel of method `<name>` is `flashback:<name>`. */
export const BRIDGE_IPC_PREFIX = 'flashback:'
/** Electron main → renderer events (`webContents.send(BRIDGE_IPC_EVENT, event)`). */
export const BRIDGE_IPC_EVENT = 'flashback:event'
/** Web mode: method `<name>` is `POST /api/bridge/<name>`. */
export const WEB_BRIDGE_PREFIX = '/api/bridge'
/** Web mode: server-sent events, one JSON `BridgeEvent` per message. */
export const WEB_BRIDGE_EVENTS_PATH = '/api/bridge/events'
/** Web mode: the page trades the printed URL's token for the session cookie here (`POST`, body `WebSessionBody`). */
export const WEB_SESSION_PATH = '/api/session'
/** Web mode: remote file bytes. */
export const WEB_REMOTE_PREFIX = '/remote'
/** Electron: remote file bytes through the custom protocol registered by main. */
export const ELECTRON_REMOTE_SCHEME = 'flashback'
export const ELECTRON_REMOTE_ORIGIN = 'flashback://peer'
/** Bridge request bodies are small: the web server and main refuse anything larger. */
export const BRIDGE_MAX_BODY_BYTES = 64 * 1024
/** At most this many status errors are kept (newest last). */
export const STATUS_MAX_ERRORS = 50

// ---------------------------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------------------------

export const BridgeEmail = Type.String({ format: 'email', minLength: 3, maxLength: 254, description: 'e-mail address' })
/** Whether `value` is an e-mail address as the bridge accepts it. */
export const isBridgeEmail = (value: unknown): value is string => Value.Check(BridgeEmail, value)
export const BridgeFingerprint = Type.String({
  pattern: '^[0-9a-f]{64}$',
  description: 'SHA-256 of a certificate DER, lower-case hex',
})
const IsoDate = Type.String({ format: 'date-time' })
const ShortText = Type.String({ maxLength: 2000 })

/**
 * A path inside a share, from its root: '/'-separated, no leading or trailing slash, '' for the root, no empty,
 * '.' or '..' segments, no backslash or NUL. The peer server checks again; this keeps nonsense off the wire.
 */
const sharePathPattern = '^(?!/)(?!.*//)(?!(?:.*/)?\\.\\.?(?:/|$))(?!.*/$)[^\\\\\\u0000]*$'
export const SharePath = Type.String({
  maxLength: 4096,
  pattern: sharePathPattern,
  description: "path from the share root, '' for the root",
})
/** A path that names something below the root (a file, or a folder other than the root). */
export const ShareEntryPath = Type.String({
  minLength: 1,
  maxLength: 4096,
  pattern: sharePathPattern,
  description: 'path of a file or folder from the share root',
})

export const TrackerUrl = Type.String({
  minLength: 9,
  maxLength: 2048,
  pattern: '^https://[^\\s/?#@]+(?:[/?#]\\S*)?$',
  description: 'https URL of the relay tracker',
})

export const ExternalUrl = Type.String({
  minLength: 8,
  maxLength: 4096,
  pattern: '^https?://[^\\s]+$',
  description: 'an http or https URL to open in the system browser',
})

const DownloadId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' })

const Empty = Type.Object({}, { additionalProperties: false })
export const OkReply = Type.Object({ ok: Type.Literal(true) })
export type OkReply = Static<typeof OkReply>

// ---------------------------------------------------------------------------------------------------------------
// App info
// ---------------------------------------------------------------------------------------------------------------

export const AppInfo = Type.Object({
  /** Which shell implements the bridge. */
  mode: Type.Union([Type.Literal('desktop'), Type.Literal('web')]),
  version: Type.String({ maxLength: 64 }),
  /** `chooseShareFolder` opens a native picker (desktop) or is unsupported (web: type the path). */
  canChooseFolder: Type.Boolean(),
  /** `revealDownload` can show a file in the system file manager. */
  canReveal: Type.Boolean(),
  /** Where downloads are saved. */
  downloadsFolder: Type.String({ maxLength: 4096 }),
})
export type AppInfo = Static<typeof AppInfo>

// ---------------------------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------------------------

export const Settings = Type.Object(
  {
    email: BridgeEmail,
    /** Absolute path of the shared folder on this computer. */
    shareRoot: Type.String({ minLength: 1, maxLength: 4096 }),
    trackerUrl: TrackerUrl,
    /** The tracker certificate's pinned fingerprint; null trusts the system CAs (a tracker with a public certificate). */
    trackerFingerprint: Type.Union([BridgeFingerprint, Type.Null()]),
    /** Listen on every interface so other computers can connect, instead of loopback only. */
    bindAll: Type.Boolean(),
    access: AccessPolicy,
  },
  { additionalProperties: false },
)
export type Settings = Static<typeof Settings>

/** Suggestions for the first-run form. */
export const SettingsDefaults = Type.Object({
  email: Type.Optional(Type.String({ maxLength: 254 })),
  shareRoot: Type.Optional(Type.String({ maxLength: 4096 })),
  trackerUrl: Type.Optional(Type.String({ maxLength: 2048 })),
  trackerFingerprint: Type.Optional(Type.Union([BridgeFingerprint, Type.Null()])),
  bindAll: Type.Optional(Type.Boolean()),
  access: Type.Optional(AccessPolicy),
})
export type SettingsDefaults = Static<typeof SettingsDefaults>

export const SettingsReply = Type.Object({
  /** The saved settings, or null before the first run's setup. */
  settings: Type.Union([Settings, Type.Null()]),
  defaults: SettingsDefaults,
})
export type SettingsReply = Static<typeof SettingsReply>

export type SettingsField = keyof Settings
export interface SettingsProblem {
  field: SettingsField
  message: string
}

const absolutePath = /^(?:\/|[A-Za-z]:[\\/]|\\\\[^\\]+\\)/

/**
 * Field-by-field problems of a settings form, in words a person understands. Used by the UI while typing and by
 * the shells before saving (they answer `validation_failed` with the first problem's `field`).
 */
export function settingsProblems(input: Record<string, unknown>): SettingsProblem[] {
  const problems: SettingsProblem[] = []
  const str = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : '')
  const email = str('email').trim()
  if (email === '') problems.push({ field: 'email', message: 'Enter your e-mail address.' })
  else if (!Value.Check(BridgeEmail, email)) problems.push({ field: 'email', message: 'This is not an e-mail address (like ada@example.com).' })

  const root = str('shareRoot').trim()
  if (root === '') problems.push({ field: 'shareRoot', message: 'Choose the folder to share.' })
  else if (!absolutePath.test(root)) problems.push({ field: 'shareRoot', message: 'Give the full path of the folder, like /home/ada/Shared.' })
  else if (root.length > 4096) problems.push({ field: 'shareRoot', message: 'This path is too long.' })

  const url = str('trackerUrl').trim()
  if (url === '') problems.push({ field: 'trackerUrl', message: 'Enter the address of the tracker.' })
  else if (!/^https:\/\//i.test(url)) problems.push({ field: 'trackerUrl', message: 'The tracker address starts with https://.' })
  else if (!Value.Check(TrackerUrl, url)) problems.push({ field: 'trackerUrl', message: 'This is not a valid https address.' })

  const fp = input['trackerFingerprint']
  if (fp !== null && fp !== undefined && !(typeof fp === 'string' && Value.Check(BridgeFingerprint, fp))) {
    problems.push({ field: 'trackerFingerprint', message: 'A fingerprint is 64 hexadecimal digits (SHA-256).' })
  }
  const access = input['access']
  if (!Value.Check(AccessPolicy, access)) problems.push({ field: 'access', message: 'Choose who may visit.' })
  if (typeof input['bindAll'] !== 'boolean') problems.push({ field: 'bindAll', message: 'Choose whether other computers may connect.' })
  else if (input['bindAll'] && access === 'open') {
    problems.push({ field: 'access', message: 'Open access is only allowed when sharing with this computer only. Choose "registered" or "friends".' })
  }
  return problems
}

// ---------------------------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------------------------

export const RegistrationState = Type.Union([
  /** No settings yet: the first-run setup has not been done. */
  Type.Literal('unconfigured'),
  /** Configured but the runtime is not running. */
  Type.Literal('stopped'),
  /** Registering with the tracker. */
  Type.Literal('registering'),
  /** The tracker knows this certificate (`broadcasting` says whether our broadcast is live). */
  Type.Literal('registered'),
  /** 409 from the tracker: this e-mail is registered with another certificate. No retry loop. */
  Type.Literal('email_taken'),
  /** The tracker is unreachable or failing; the runtime retries with backoff (`nextRetryAt`). */
  Type.Literal('retrying'),
  /** The tracker refused our certificate or request; `registrationMessage` says why. No retry. */
  Type.Literal('rejected'),
])
export type RegistrationState = Static<typeof RegistrationState>

export const StatusError = Type.Object({
  at: IsoDate,
  source: Type.Union([
    Type.Literal('tracker'),
    Type.Literal('server'),
    Type.Literal('peer'),
    Type.Literal('download'),
    Type.Literal('settings'),
  ]),
  code: Type.String({ maxLength: 64 }),
  message: ShortText,
})
export type StatusError = Static<typeof StatusError>

export const Status = Type.Object({
  email: Type.Union([Type.String({ maxLength: 254 }), Type.Null()]),
  /** This peer's certificate fingerprint. */
  fingerprint: Type.Union([BridgeFingerprint, Type.Null()]),
  registration: RegistrationState,
  registrationMessage: Type.Optional(ShortText),
  /** The tracker accepted our `broadcast/ready` and heartbeats are current. */
  broadcasting: Type.Boolean(),
  lastHeartbeat: Type.Union([IsoDate, Type.Null()]),
  /** When the runtime tries the tracker again (state 'retrying'). */
  nextRetryAt: Type.Optional(IsoDate),
  /** The local peer server, once listening. */
  server: Type.Union([
    Type.Object({
      port: Type.Integer({ minimum: 1, maximum: 65535 }),
      addresses: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 }),
    }),
    Type.Null(),
  ]),
  /** Recent problems, oldest first. */
  errors: Type.Array(StatusError, { maxItems: STATUS_MAX_ERRORS }),
})
export type Status = Static<typeof Status>

export const SetSettingsReply = Type.Object({ settings: Settings, status: Status })
export type SetSettingsReply = Static<typeof SetSettingsReply>

// ---------------------------------------------------------------------------------------------------------------
// Peers and friends
// ---------------------------------------------------------------------------------------------------------------

export const Nickname = Type.String({ minLength: 1, maxLength: 100 })

export const PeerView = Type.Object({
  email: Type.String({ minLength: 1, maxLength: 254 }),
  nickname: Type.Optional(Nickname),
  /** In my friends list (health-checked every minute even when the tracker does not list it). */
  friend: Type.Boolean(),
  /** online: reachable now · offline: not broadcasting / not answering · checking: a health check runs · error: see `error`. */
  status: PeerStatus,
  /** The reason, when status is 'error' (or a last failure worth showing). */
  error: Type.Optional(ShortText),
  fingerprint: Type.Optional(BridgeFingerprint),
  /** When the tracker last heard of it, or when a health check last succeeded. */
  lastSeen: Type.Optional(Type.Union([IsoDate, Type.Null()])),
})
export type PeerView = Static<typeof PeerView>

export const ListPeersArgs = Type.Object(
  {
    /** Ask the tracker again and re-check friends now instead of answering from the last known state. */
    refresh: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type ListPeersArgs = Static<typeof ListPeersArgs>

export const PeersReply = Type.Object({
  /** Everyone online (from the tracker) merged with friends, without myself. */
  peers: Type.Array(PeerView, { maxItems: 20000 }),
  /** Set when the tracker could not be asked: the list then holds friends only. */
  trackerError: Type.Optional(ShortText),
  updatedAt: IsoDate,
})
export type PeersReply = Static<typeof PeersReply>

export const AddFriendArgs = Type.Object(
  { email: BridgeEmail, nickname: Type.Optional(Nickname) },
  { additionalProperties: false },
)
export type AddFriendArgs = Static<typeof AddFriendArgs>
export const FriendReply = Type.Object({ peer: PeerView })
export type FriendReply = Static<typeof FriendReply>

export const RemoveFriendArgs = Type.Object({ email: BridgeEmail }, { additionalProperties: false })
export type RemoveFriendArgs = Static<typeof RemoveFriendArgs>
export const RemoveFriendReply = Type.Object({ removed: Type.Boolean() })
export type RemoveFriendReply = Static<typeof RemoveFriendReply>

// ---------------------------------------------------------------------------------------------------------------
// Files: my share and remote houses
// ---------------------------------------------------------------------------------------------------------------

const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: FILES_MAX_LIMIT })),
  cursor: Type.Optional(Type.String({ maxLength: 4096 })),
}

export const ListMyFilesArgs = Type.Object({ path: SharePath, ...Paging }, { additionalProperties: false })
export type ListMyFilesArgs = Static<typeof ListMyFilesArgs>

export const ListRemoteFilesArgs = Type.Object(
  { email: BridgeEmail, path: SharePath, ...Paging },
  { additionalProperties: false },
)
export type ListRemoteFilesArgs = Static<typeof ListRemoteFilesArgs>

export const RemoteFileArgs = Type.Object({ email: BridgeEmail, path: ShareEntryPath }, { additionalProperties: false })
export type RemoteFileArgs = Static<typeof RemoteFileArgs>

export const RemoteTextReply = Type.Object({
  path: Type.String(),
  /** From the peer's Content-Type, without parameters (text/markdown, text/plain, …). */
  mime: Type.String({ maxLength: 255 }),
  /** Size in bytes. */
  size: Type.Integer({ minimum: 0 }),
  text: Type.String({ maxLength: CONTENT_MAX_BYTES }),
})
export type RemoteTextReply = Static<typeof RemoteTextReply>

// ---------------------------------------------------------------------------------------------------------------
// Downloads
// ---------------------------------------------------------------------------------------------------------------

export const Download = Type.Object({
  id: DownloadId,
  email: Type.String({ maxLength: 254 }),
  path: Type.String({ maxLength: 4096 }),
  /** The file's name (last path segment). */
  name: Type.String({ maxLength: 1024 }),
  /** running → completed; cancelled keeps the partial file; cancelled and failed ones can be resumed. */
  state: DownloadState,
  /** Bytes on disk so far. */
  received: Type.Integer({ minimum: 0 }),
  /** Total size, when the peer told it. */
  total: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  /** Recent transfer rate while downloading. */
  bytesPerSecond: Type.Optional(Type.Number({ minimum: 0 })),
  /** Where the file is (or will be) saved on this computer. */
  file: Type.String({ maxLength: 4096 }),
  error: Type.Optional(ShortText),
  startedAt: IsoDate,
  updatedAt: IsoDate,
})
export type Download = Static<typeof Download>

/**
 * Why a download in `state` cannot be cancelled or resumed (undefined when it can): only a running download can be
 * cancelled, only a cancelled or failed one resumed. Implementations answer `invalid_state` with this text.
 */
export function downloadActionRefusal(action: 'cancel' | 'resume', state: Download['state']): string | undefined {
  if (action === 'cancel') return state === 'running' ? undefined : `This download is ${state}; only a running one can be cancelled.`
  return state === 'cancelled' || state === 'failed' ? undefined : `This download is ${state}; only a cancelled or failed one can be resumed.`
}

export const DownloadIdArgs = Type.Object({ id: DownloadId }, { additionalProperties: false })
export type DownloadIdArgs = Static<typeof DownloadIdArgs>
export const DownloadsReply = Type.Object({ downloads: Type.Array(Download, { maxItems: 1000 }) })
export type DownloadsReply = Static<typeof DownloadsReply>

// ---------------------------------------------------------------------------------------------------------------
// The tracker's file registry: searching it, publishing my share to it
// ---------------------------------------------------------------------------------------------------------------

/** One search call answers at most this many results (more behind `nextCursor`). */
export const SEARCH_PAGE_MAX = 500
export const SEARCH_PAGE_DEFAULT = 50

const SearchPaging = {
  /** From the previous page's `nextCursor`. */
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: SEARCH_PAGE_MAX })),
}

/** By part of a file name (case-insensitive, at least 2 characters) or by the content's SHA-256. */
export const SearchFilesArgs = Type.Union([
  Type.Object(
    { name: Type.String({ minLength: REGISTRY_SEARCH_MIN_CHARS, maxLength: REGISTRY_MAX_NAME_LENGTH }), ...SearchPaging },
    { additionalProperties: false },
  ),
  Type.Object({ sha256: Type.String({ pattern: '^[0-9a-fA-F]{64}$' }), ...SearchPaging }, { additionalProperties: false }),
])
export type SearchFilesArgs = Static<typeof SearchFilesArgs>

export const SearchResult = Type.Object({
  /** Who publishes it. */
  email: Type.String({ maxLength: 254 }),
  /** The file's name and its path in the owner's share. */
  name: Type.String({ maxLength: 1024 }),
  path: Type.String({ maxLength: 4096 }),
  size: Type.Integer({ minimum: 0 }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  /** The owner broadcasts now: their house can be visited and the file downloaded. */
  online: Type.Boolean(),
  /** Published by me. */
  mine: Type.Boolean(),
})
export type SearchResult = Static<typeof SearchResult>

export const SearchFilesReply = Type.Object({
  /** Online owners first, then by owner and path. */
  results: Type.Array(SearchResult, { maxItems: SEARCH_PAGE_MAX }),
  /** More results: pass it back as `cursor` with the same term. */
  nextCursor: Type.Optional(Type.String({ maxLength: 2048 })),
})
export type SearchFilesReply = Static<typeof SearchFilesReply>

/** A registry hit as the bridge shows it (`me`: my e-mail, to mark my own files). */
export function bridgeSearchResult(hit: SearchHit, me: string | null | undefined): SearchResult {
  return {
    email: hit.email,
    name: hit.name,
    path: hit.path,
    size: hit.size,
    sha256: hit.sha256,
    online: hit.online,
    mine: !!me && hit.email.toLowerCase() === me.toLowerCase(),
  }
}

export const SetPublishingArgs = Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false })
export type SetPublishingArgs = Static<typeof SetPublishingArgs>

// ---------------------------------------------------------------------------------------------------------------
// Small system services
// ---------------------------------------------------------------------------------------------------------------

export const OpenExternalArgs = Type.Object({ url: ExternalUrl }, { additionalProperties: false })
export type OpenExternalArgs = Static<typeof OpenExternalArgs>
export const OpenExternalReply = Type.Object({ opened: Type.Boolean() })
export type OpenExternalReply = Static<typeof OpenExternalReply>

export const ChooseFolderReply = Type.Object({ path: Type.Union([Type.String({ maxLength: 4096 }), Type.Null()]) })
export type ChooseFolderReply = Static<typeof ChooseFolderReply>

// ---------------------------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------------------------

export const BridgeEvent = Type.Union([
  /** The whole status, whenever any part changes (registration, broadcasting, heartbeat, errors). */
  Type.Object({ type: Type.Literal('status'), status: Status }),
  /** One peer's view changed (status, friendship). */
  Type.Object({ type: Type.Literal('peer'), peer: PeerView }),
  /** The whole peers list was refreshed (after a tracker listing). */
  Type.Object({ type: Type.Literal('peers'), peers: PeersReply }),
  /** A peer left the list (went offline and is not a friend, or was unfriended while offline). */
  Type.Object({ type: Type.Literal('peer-removed'), email: Type.String({ maxLength: 254 }) }),
  /** A download started, progressed (at most a few times per second), finished, failed or was cancelled. */
  Type.Object({ type: Type.Literal('download'), download: Download }),
  /** Settings were saved. */
  Type.Object({ type: Type.Literal('settings'), settings: Settings }),
  /** Publishing my share changed: turned on or off, hashing progress (a few times per second at most), an error. */
  Type.Object({ type: Type.Literal('publishing'), publishing: PublishingStatus }),
])
export type BridgeEvent = Static<typeof BridgeEvent>
export type BridgeEventType = BridgeEvent['type']

// ---------------------------------------------------------------------------------------------------------------
// The channel table and FlashbackApi
// ---------------------------------------------------------------------------------------------------------------

export interface BridgeChannel {
  args: TSchema
  result: TSchema
  /** What the method does, for docs and error messages. */
  summary: string
}

/** Every bridge method: its one argument and its result. The order is the docs' order. */
export const bridgeChannels = {
  getInfo: { args: Empty, result: AppInfo, summary: 'which shell runs the bridge and what it can do' },
  getSettings: { args: Empty, result: SettingsReply, summary: 'saved settings (null before setup) and defaults' },
  setSettings: {
    args: Settings,
    result: SetSettingsReply,
    summary: 'save settings and (re)start the peer; resolves after the first registration attempt',
  },
  chooseShareFolder: { args: Empty, result: ChooseFolderReply, summary: 'native folder picker; { path: null } when cancelled or unsupported' },
  getStatus: { args: Empty, result: Status, summary: 'registration, broadcasting, last heartbeat, errors' },
  listMyFiles: { args: ListMyFilesArgs, result: FileListing, summary: 'a folder of my own share, as visitors see it' },
  listPeers: { args: ListPeersArgs, result: PeersReply, summary: 'online peers from the tracker merged with friends' },
  addFriend: { args: AddFriendArgs, result: FriendReply, summary: 'add a friend (health-checked every minute)' },
  removeFriend: { args: RemoveFriendArgs, result: RemoveFriendReply, summary: 'remove a friend' },
  listRemoteFiles: { args: ListRemoteFilesArgs, result: FileListing, summary: "a folder of a peer's share" },
  readRemoteText: { args: RemoteFileArgs, result: RemoteTextReply, summary: "the text of a peer's text file (≤ 10 MiB)" },
  startDownload: { args: RemoteFileArgs, result: Download, summary: "download a peer's file into the downloads folder" },
  listDownloads: { args: Empty, result: DownloadsReply, summary: 'every download of this session with its progress' },
  cancelDownload: { args: DownloadIdArgs, result: Download, summary: 'stop a download, keeping the partial file' },
  resumeDownload: { args: DownloadIdArgs, result: Download, summary: 'continue a cancelled or failed download' },
  revealDownload: { args: DownloadIdArgs, result: OkReply, summary: 'show a downloaded file in the system file manager' },
  openExternal: { args: OpenExternalArgs, result: OpenExternalReply, summary: 'open an http(s) link in the system browser' },
  searchFiles: { args: SearchFilesArgs, result: SearchFilesReply, summary: "search the tracker's file registry by name or SHA-256, one page" },
  getPublishing: { args: Empty, result: PublishingStatus, summary: 'whether my share is published to the file registry, and the hashing progress' },
  setPublishing: { args: SetPublishingArgs, result: PublishingStatus, summary: 'turn publishing my share on or off (saved; applied at once)' },
} as const satisfies Record<string, BridgeChannel>

export type BridgeChannelName = keyof typeof bridgeChannels
export const bridgeChannelNames = Object.keys(bridgeChannels) as BridgeChannelName[]

export type BridgeArgs<N extends BridgeChannelName> = Static<(typeof bridgeChannels)[N]['args']>
export type BridgeResult<N extends BridgeChannelName> = Static<(typeof bridgeChannels)[N]['result']>

/** One method per channel; methods whose argument has no required field may be called without one. */
export type BridgeMethods = {
  [N in BridgeChannelName]: object extends BridgeArgs<N>
    ? (args?: BridgeArgs<N>) => Promise<BridgeResult<N>>
    : (args: BridgeArgs<N>) => Promise<BridgeResult<N>>
}

export type BridgeListener = (event: BridgeEvent) => void

/** What the renderer gets as `window.flashback` (Electron preload) or from the HTTP client (web mode). */
export interface FlashbackApi extends BridgeMethods {
  /** Calls `listener` for every state change until the returned function is called. */
  subscribe(listener: BridgeListener): () => void
  /** A URL the renderer can put in `src` of `<img>`, `<video>` or `<audio>` for a peer's file (supports Range). */
  remoteFileUrl(email: string, path: string): string
}

/** What makes one bridge method: given a channel's name, the function that answers it. */
export type BridgeMethodFactory = <N extends BridgeChannelName>(name: N) => (args?: unknown) => Promise<BridgeResult<N>>

/**
 * Every channel's method, each made by `make(name)`. The shells, the HTTP client and the fake all build their
 * methods from the channel table this way, so a new channel needs no list edited anywhere but `bridgeChannels`.
 */
export function bridgeMethodsFrom(make: BridgeMethodFactory): BridgeMethods {
  return Object.fromEntries(bridgeChannelNames.map((name) => [name, make(name)])) as unknown as BridgeMethods
}

/** Electron IPC channel name of a method. */
export const bridgeIpcChannel = (name: BridgeChannelName): string => `${BRIDGE_IPC_PREFIX}${name}`
/** Web mode route of a method. */
export const bridgeWebPath = (name: BridgeChannelName): string => `${WEB_BRIDGE_PREFIX}/${name}`

export function isBridgeChannelName(name: unknown): name is BridgeChannelName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(bridgeChannels, name)
}

// ---------------------------------------------------------------------------------------------------------------
// Errors across the bridge
// ---------------------------------------------------------------------------------------------------------------

/** Codes the bridge adds to `ErrorCode`. */
export const BridgeErrorCode = {
  /** Web mode: no valid session cookie (open the URL the peer printed). */
  unauthorized: 'unauthorized',
  /** A method needs settings first. */
  notConfigured: 'not_configured',
  /** The peer could not be reached on any address. */
  unreachable: 'unreachable',
  /** The shell does not support this method (e.g. a folder picker in web mode). */
  unsupported: 'unsupported',
  /** A download id that does not exist, or an action its state does not allow. */
  invalidState: 'invalid_state',
  /** The transport itself failed (network down, server gone). */
  transport: 'transport_error',
} as const

/** The HTTP status web mode answers a bridge error with (the body is the error itself). */
export function bridgeErrorHttpStatus(code: string): number {
  switch (code) {
    case 'validation_failed':
    case 'bad_request':
    case 'invalid_json':
    case 'not_a_directory':
      return 400
    case 'unauthorized':
      return 401
    case 'forbidden':
    case 'certificate_mismatch':
      return 403
    case 'not_found':
    case 'not_online':
      return 404
    case 'email_taken':
    case 'invalid_state':
    case 'not_configured':
      return 409
    case 'too_large':
    case 'payload_too_large':
      return 413
    case 'not_text':
    case 'unsupported_media_type':
      return 415
    case 'unsupported':
      return 501
    case 'unreachable':
    case 'unavailable':
    case 'transport_error':
      return 502
    default:
      return 500
  }
}

export const BridgeErrorBody = Type.Object({
  error: Type.String({ maxLength: 64 }),
  message: ShortText,
  /** For `validation_failed` on setSettings: the settings field at fault. */
  field: Type.Optional(Type.String({ maxLength: 64 })),
})
export type BridgeErrorBody = Static<typeof BridgeErrorBody>

/**
 * Electron turns a handler's thrown Error into "Error invoking remote method 'flashback:x': Error: <message>" and
 * drops every other property; main therefore throws `new Error(encodeBridgeError(body))` and the renderer recovers
 * the body with `toBridgeError`, whatever text Electron wraps around it.
 */
export const BRIDGE_ERROR_MARKER = 'flashback-error:'

export class BridgeError extends Error {
  readonly code: string
  readonly field: string | undefined
  constructor(code: string, message: string, field?: string) {
    super(message)
    this.name = 'BridgeError'
    this.code = code
    this.field = field
  }
  toJSON(): BridgeErrorBody {
    return this.field === undefined
      ? { error: this.code, message: this.message }
      : { error: this.code, message: this.message, field: this.field }
  }
}

export function encodeBridgeError(body: BridgeErrorBody): string {
  return BRIDGE_ERROR_MARKER + JSON.stringify(body)
}

/** Any thrown thing → a BridgeError (an HTTP error body, an Electron-wrapped encoded error, a plain Error). */
export function toBridgeError(thrown: unknown): BridgeError {
  if (thrown instanceof BridgeError) return thrown
  if (Value.Check(BridgeErrorBody, thrown)) {
    const body = thrown as BridgeErrorBody
    return new BridgeError(body.error, body.message, body.field)
  }
  const text =
    thrown instanceof Error ? thrown.message : typeof thrown === 'string' ? thrown : 'Something went wrong.'
  const at = text.indexOf(BRIDGE_ERROR_MARKER)
  if (at >= 0) {
    try {
      const body: unknown = JSON.parse(text.slice(at + BRIDGE_ERROR_MARKER.length))
      if (Value.Check(BridgeErrorBody, body)) {
        const b = body as BridgeErrorBody
        return new BridgeError(b.error, b.message, b.field)
      }
    } catch {
      // not ours after all: fall through
    }
  }
  return new BridgeError('internal_error', text || 'Something went wrong.')
}

/** Short human text of the first schema error, e.g. "/email: must match format \"email\"". */
export function describeSchemaErrors(schema: TSchema, value: unknown): string {
  const first = [...Value.Errors(schema, value)].find((e) => e.keyword !== 'boolean') ?? [...Value.Errors(schema, value)][0]
  if (!first) return 'invalid value'
  return `${first.instancePath || '(argument)'}: ${first.message}`
}

/**
 * Validates a method's argument (main and the web server call this before acting). `undefined` counts as `{}`.
 * Returns the argument typed, or throws `BridgeError('validation_failed')`.
 */
export function checkBridgeArgs<N extends BridgeChannelName>(name: N, value: unknown): BridgeArgs<N> {
  const channel: BridgeChannel = bridgeChannels[name]
  const arg = value === undefined ? {} : value
  if (!Value.Check(channel.args, arg)) {
    const field = [...Value.Errors(channel.args, arg)]
      .map((e) => e.instancePath.split('/')[1])
      .find((f): f is string => !!f)
    throw new BridgeError('validation_failed', `${name}: ${describeSchemaErrors(channel.args, arg)}`, field)
  }
  return arg as BridgeArgs<N>
}

/** Checks a result before sending it (tests and debug builds; the shells may skip it in production). */
export function checkBridgeResult<N extends BridgeChannelName>(name: N, value: unknown): value is BridgeResult<N> {
  return Value.Check(bridgeChannels[name].result, value)
}

export function isBridgeEvent(value: unknown): value is BridgeEvent {
  return Value.Check(BridgeEvent, value)
}

// ---------------------------------------------------------------------------------------------------------------
// Remote file URLs
// ---------------------------------------------------------------------------------------------------------------

/** `<email>/<path>` with every part percent-encoded once; the root folder is `<email>/`. */
export function encodeRemoteFilePath(email: string, path: string): string {
  const segments = path === '' ? [''] : path.split('/').map((s) => encodeURIComponent(s))
  return `${encodeURIComponent(email)}/${segments.join('/')}`
}

/** Electron: `flashback://peer/<email>/<path>`. */
export function electronRemoteFileUrl(email: string, path: string): string {
  return `${ELECTRON_REMOTE_ORIGIN}/${encodeRemoteFilePath(email, path)}`
}

/** Web mode: `/remote/<email>/<path>` (same origin as the UI). */
export function webRemoteFileUrl(email: string, path: string): string {
  return `${WEB_REMOTE_PREFIX}/${encodeRemoteFilePath(email, path)}`
}

/**
 * Reads `<email>/<path>` back (the part after `flashback://peer/` or `/remote/`, still percent-encoded).
 * Decodes each part once and refuses anything that is not a plain path inside a share: null when invalid.
 */
export function parseRemoteFilePath(encoded: string): { email: string; path: string } | null {
  const q = encoded.search(/[?#]/)
  const raw = (q >= 0 ? encoded.slice(0, q) : encoded).replace(/^\/+/, '')
  const parts = raw.split('/')
  const [rawEmail, ...rawSegments] = parts
  if (!rawEmail || rawSegments.length === 0) return null
  let email: string
  const segments: string[] = []
  try {
    email = decodeURIComponent(rawEmail)
    for (const s of rawSegments) segments.push(decodeURIComponent(s))
  } catch {
    return null
  }
  if (!Value.Check(BridgeEmail, email)) return null
  // The root is `<email>/`; otherwise no empty segment is allowed.
  const path = segments.length === 1 && segments[0] === '' ? '' : segments.join('/')
  if (path !== '' && segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('/') || s.includes('\\') || s.includes('\u0000'))) return null
  if (!Value.Check(SharePath, path)) return null
  return { email, path }
}

/** Web mode's session exchange: the page posts the token from the printed URL, the server sets the cookie. */
export const WebSessionBody = Type.Object(
  { token: Type.String({ minLength: 16, maxLength: 256, pattern: '^[A-Za-z0-9_-]+$' }) },
  { additionalProperties: false },
)
export type WebSessionBody = Static<typeof WebSessionBody>

// ---------------------------------------------------------------------------------------------------------------
// From the peer runtime to the bridge (used by the Electron main process and the web-mode server)
// ---------------------------------------------------------------------------------------------------------------

/** The bridge status from the runtime's snapshot, whether settings exist, and the recent errors the shell kept. */
export function bridgeStatusFromRuntime(input: {
  configured: boolean
  runtime: RuntimeStatus
  errors?: StatusError[]
}): Status {
  const { runtime, configured } = input
  const state = runtime.tracker.state
  const registration: RegistrationState = !configured
    ? 'unconfigured'
    : state === 'broadcasting'
      ? 'registered'
      : state
  const status: Status = {
    email: runtime.email ?? null,
    fingerprint: runtime.fingerprint ?? null,
    registration,
    broadcasting: state === 'broadcasting',
    lastHeartbeat: runtime.tracker.lastHeartbeatAt ?? null,
    server: runtime.server ? { port: runtime.server.port, addresses: [...runtime.server.addresses] } : null,
    errors: (input.errors ?? []).slice(-STATUS_MAX_ERRORS),
  }
  if (runtime.tracker.error) status.registrationMessage = runtime.tracker.error.message.slice(0, 2000)
  if (runtime.tracker.nextRetryAt) status.nextRetryAt = runtime.tracker.nextRetryAt
  return status
}

/** The last segment of a share path. */
export const shareBaseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1)

/** A bridge download from the runtime's download info (plus the shell's measured rate, if any). */
export function bridgeDownloadFromRuntime(info: DownloadInfo, bytesPerSecond?: number): Download {
  const d: Download = {
    id: info.id,
    email: info.email,
    path: info.path,
    name: shareBaseName(info.path),
    state: info.state,
    received: info.received,
    total: info.total ?? null,
    file: info.dest,
    startedAt: info.startedAt,
    updatedAt: info.updatedAt,
  }
  if (info.error) d.error = info.error.message.slice(0, 2000)
  if (bytesPerSecond !== undefined && info.state === 'running') d.bytesPerSecond = Math.max(0, bytesPerSecond)
  return d
}

/**
 * The Peers list: everyone the tracker lists online, merged with friends, without myself. A friend's status comes
 * from its last health check; without one it is 'online' if the tracker lists it, else 'checking'. A non-friend
 * listed by the tracker is 'online' unless a visit found otherwise. Friends first, then by e-mail.
 */
export function mergePeers(input: {
  online: readonly PeerBroadcast[]
  friends: readonly FriendInfo[]
  reports?: Iterable<PeerStatusReport>
  me?: string | null
}): PeerView[] {
  const key = (email: string) => email.toLowerCase()
  const me = input.me ? key(input.me) : null
  const reports = new Map<string, PeerStatusReport>()
  for (const r of input.reports ?? []) reports.set(key(r.email), r)
  const online = new Map<string, PeerBroadcast>()
  for (const b of input.online) online.set(key(b.email), b)
  const views = new Map<string, PeerView>()

  const withReport = (view: PeerView, report: PeerStatusReport | undefined): PeerView => {
    if (!report) return view
    view.status = report.status
    if (report.message && (report.status === 'error' || report.status === 'offline')) view.error = report.message.slice(0, 2000)
    if (report.status === 'online' && report.checkedAt) view.lastSeen = report.checkedAt
    return view
  }

  for (const f of input.friends) {
    const k = key(f.email)
    if (k === me || views.has(k)) continue
    const listed = online.get(k)
    const view: PeerView = { email: f.email, friend: true, status: listed ? 'online' : 'checking', fingerprint: f.fingerprint }
    if (f.nickname) view.nickname = f.nickname
    if (listed) view.lastSeen = listed.last_seen
    views.set(k, withReport(view, reports.get(k)))
  }
  for (const b of input.online) {
    const k = key(b.email)
    if (k === me || views.has(k)) continue
    const view: PeerView = { email: b.email, friend: false, status: 'online', fingerprint: b.fingerprint, lastSeen: b.last_seen }
    views.set(k, withReport(view, reports.get(k)))
  }
  return [...views.values()].sort((a, b) =>
    a.friend !== b.friend ? (a.friend ? -1 : 1) : a.email.localeCompare(b.email, 'en'),
  )
}
