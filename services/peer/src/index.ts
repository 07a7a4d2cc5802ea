/**
 * @flashback/peer: the peer file server (src/server) and the peer runtime (src/runtime).
 * A plain Node library: no electron import anywhere.
 */

// The file server.
export { createPeerServer, startPeerServer, PeerServer, type PeerServerOptions, type PeerIdentity, type PeerServerEvents } from './server/peer-server.js'
export { AccessControl, visitorOf, type FriendsList, type IdentityLookup, type Visitor } from './server/access.js'
export { createTrackerIdentityLookup, TrackerFingerprintError, type TrackerIdentityLookup, type TrackerIdentityLookupOptions } from './server/tracker-identity.js'
export { announcedAddresses } from './server/addresses.js'
export { decodeSharePath, encodeSharePath } from './server/path-guard.js'
export { parseRange, type ByteRange, type RangeRequest } from './server/ranges.js'
export { silentLogger, createLogger, type Logger, type LogFn, type LogLevel, type CreateLoggerOptions } from './runtime/logger.js'
export { WELCOME_FILE } from './server/welcome-page.js'

// The peer runtime (profile, tracker presence, visiting peers, friends, downloads, events).
export * from './runtime/index.js'

// The runtime-backed FlashbackApi (the desktop main process and web mode both use it).
export * from './bridge/index.js'

// Publishing the share to the tracker's file registry, and the UDP matchmaker client.
export * from './publish/index.js'
export { startMatchmakerClient, type MatchmakerClient, type MatchmakerClientOptions } from './runtime/matchmaker-client.js'
