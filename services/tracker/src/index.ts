/**
 * @flashback/tracker: the relay tracker as a library.
 * - buildApp(opts): the Fastify app (tests inject into it; server code listens with it)
 * - loadConfig(env, argv): validated configuration, or a ConfigError naming the variable
 * - startTracker(overrides): an in-process tracker (port 0, temporary data dir by default)
 * - runTrackerMain({ argv, env }): the `tracker` command itself (signals, exit codes)
 * - sweepExpired(store, opts): the batched sweep, for benchmarks
 */
export { buildApp, BODY_LIMIT, VERSION, type BuildAppOptions, type TrackerApp } from './app.js'
export { ConfigError, configHelp, defaultConfig, flagFor, loadConfig, SETTINGS, type TrackerConfig } from './config.js'
export { startTracker, type RunningTracker, type StartTrackerOptions } from './start.js'
export { runTrackerMain, type TrackerMainOptions } from './main.js'
export { deleteInBatches, sweepExpired, type SweepOptions, type SweepResult } from './sweep.js'
export { openStore, type OpenStoreOptions } from './store/open.js'
export { SqliteStore } from './store/sqlite/index.js'
export { PostgresStore, parseDatabaseUrl } from './store/postgres/index.js'
export type * from './store/types.js'
export { tlsClientCertificate, type ClientCertificateSource, type PresentedCertificate } from './plugins/client-certificate.js'
export { loadServerCertificate, type ServerCertificate } from './server-certificate.js'
export { forwardedCertificateSource, FORWARDED_CERTIFICATE_HEADERS } from './plugins/forwarded-certificate.js'
export { MemoryRateCounter, StoreRateCounter, type RateCounter } from './plugins/rate-limit.js'
export { makeTrustMatcher, type TrustMatcher } from './trust-proxy.js'
export { startMatchmaker, type MatchmakerOptions, type MatchmakerStats, type RunningMatchmaker } from './matchmaker/server.js'
export { issueToken, verifyToken, matchmakerKey, type TokenClaims, type TokenCheck } from './matchmaker/token.js'
export { resolveClientAddress, replaceUnspecified } from './client-address.js'
