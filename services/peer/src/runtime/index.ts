/** The peer runtime's public API (re-exported by @flashback/peer). */
export { createPeerRuntime, exitCodeFor, PeerRuntime, RUNTIME_VERSION, type PeerRuntimeOptions, type RunningPeerServer, type RuntimeTiming, type StartOptions } from './runtime.js'
export { Profile, ProfileConfig, CONFIG_FILE, FRIENDS_FILE, PEERS_FILE, HASH_CACHE_FILE, IDENTITY_DIR, type ProfileConfigPatch, type StartConfig, type CachedPeerAddress } from './profile.js'
export { RuntimeEvents, type RuntimeEventInput, type RuntimeEventListener } from './events.js'
export { TrackerClient, trackerVerification, isTransientTrackerError, type TrackerClientOptions } from './tracker-client.js'
export { Publishing, type PublishingOptions } from './publishing.js'
export { TrackerPresence, backoffDelay, heartbeatInterval, type PresenceOptions, type PresenceTiming } from './presence.js'
export { PeerConnector, PeerConnection, isConnectionFailure, type AddressCache, type PeerConnectorOptions } from './peer-connector.js'
export { PeerClient, FORWARDED_REQUEST_HEADERS, FORWARDED_RESPONSE_HEADERS, type RemoteFetchOptions, type RemoteFile, type ReadTextResult, type PeerDownloadOptions } from './peer-client.js'
export { downloadFile, downloadState, parseContentRange, partFile, partMetaFile, type DownloadFileOptions, type DownloadProgress, type DownloadResult, type RemoteResponse } from './download-file.js'
export { DownloadManager, safeFileName, type StartDownloadOptions } from './downloads.js'
export { FriendsMonitor, statusFromError, DEFAULT_FRIEND_CHECK_INTERVAL_MS } from './friends.js'
export { orderAddresses, classifyAddress, canonicalAddress, AddressClass } from './address-order.js'
export { raceConnections, AllAttemptsFailedError, DEFAULT_STAGGER_MS, type Candidate } from './happy-eyeballs.js'
export { connectTls, type ServerVerification, type ClientCertificate, type TlsConnectOptions } from './tls-connect.js'
export { normalizeSharePath } from './http-util.js'
export {
  RuntimeError,
  ProfileError,
  ImpostorError,
  TrackerUnreachableError,
  TrackerHttpError,
  PeerOfflineError,
  PeerUnreachableError,
  FingerprintChangedError,
  PeerHttpError,
  ProtocolError,
  toErrorInfo,
  describeError,
  type AttemptFailure,
} from './errors.js'
