/**
 * buildApp: the tracker as a Fastify instance, ready to `listen` (server.ts, startTracker) or to
 * `inject` (tests). It never reads files or the environment: everything comes in through options.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { REGISTRY_API_PREFIX, TRACKER_API_PREFIX } from '@flashback/protocol'
import pkg from '../package.json' with { type: 'json' }
import { defaultConfig, sqliteUrlFor, type TrackerConfig } from './config.js'
import clientAddressPlugin from './plugins/client-address.js'
import clientCertificatePlugin, { tlsClientCertificate, type ClientCertificateSource } from './plugins/client-certificate.js'
import { FORWARDED_CERTIFICATE_HEADERS } from './plugins/forwarded-certificate.js'
import errorHandlerPlugin from './plugins/error-handler.js'
import jsonOnlyPlugin from './plugins/json-only.js'
import rateLimitPlugin, { MemoryRateCounter, type RateCounter } from './plugins/rate-limit.js'
import securityHeadersPlugin from './plugins/security-headers.js'
import storePlugin from './plugins/store.js'
import sweeperPlugin from './plugins/sweeper.js'
import hotLanePlugin from './plugins/hot-lane.js'
import healthRoutes from './routes/health/index.js'
import legacyRoutes from './routes/legacy/index.js'
import matchmakerRoutes from './routes/matchmaker/index.js'
import peersRoutes from './routes/peers/index.js'
import registryRoutes from './routes/registry/index.js'
import relayRoutes from './routes/relay/index.js'
import { makeClientErrorHandler } from './client-error.js'
import { openStore } from './store/open.js'
import { makeTrustMatcher } from './trust-proxy.js'
import { typeboxValidatorCompiler } from './typebox-validator.js'
import type { TrackerStore } from './store/types.js'

export const VERSION: string = pkg.version
/** Request bodies above this are refused with 413 (routes may raise their own limit). */
export const BODY_LIMIT = 64 * 1024

export interface BuildAppOptions {
  /** Settings; anything missing takes its default. */
  config?: Partial<TrackerConfig>
  /** An open store to use (not closed with the app); by default one is opened from config.databaseUrl and owned. */
  store?: TrackerStore
  /** A pino logger, or false for none (default: none). */
  logger?: FastifyBaseLogger | false
  /** TLS material for an HTTPS server that asks every client for a certificate; omit for inject-only apps. */
  https?: { cert: string | Buffer; key: string | Buffer }
  /** Where a request's client certificate comes from (default: the TLS connection). */
  clientCertificate?: ClientCertificateSource
  /** Run the periodic sweep (default true; an app sharing another's store passes false). */
  sweeper?: boolean
  /** Rate-limit counters (default: in memory). */
  rateCounter?: RateCounter
  /**
   * Proxies (IPs/CIDRs) whose X-Forwarded-For is believed for the client address (the plain-HTTP
   * listener behind a load balancer). Default: none, the address is the socket's peer.
   */
  trustProxy?: readonly string[]
  /**
   * The UDP port of the running matchmaker, as token replies announce it (startTracker passes the
   * bound one); default config.matchmakerPort; 0 = off (no tokens).
   */
  matchmakerPort?: number
  /** The clock in ms (tests). */
  now?: () => number
}

export type TrackerApp = FastifyInstance & { readonly trackerConfig: TrackerConfig }

export async function buildApp(opts: BuildAppOptions = {}): Promise<TrackerApp> {
  const base = defaultConfig(opts.config?.dataDir)
  const config: TrackerConfig = { ...base, ...stripUndefined(opts.config ?? {}) }
  if (opts.config?.databaseUrl === undefined) config.databaseUrl = sqliteUrlFor(config.dataDir)
  const now = opts.now ?? Date.now
  const startedAt = now()

  const store = opts.store ?? (await openStore({ databaseUrl: config.databaseUrl, poolMax: config.databasePoolMax }))
  const owned = opts.store === undefined

  const common = {
    bodyLimit: BODY_LIMIT,
    // Request ids are ours: a client-chosen one could forge log correlation.
    requestIdHeader: false as const,
    // One debug line per request (onResponse below) instead of Fastify's two info lines.
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    // Requests Node cannot parse are answered in our error shape too (src/client-error.ts).
    clientErrorHandler: makeClientErrorHandler(() => app.log),
    trustProxy: opts.trustProxy && opts.trustProxy.length > 0 ? [...opts.trustProxy] : false,
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
  }
  const app = (
    opts.https
      ? Fastify({
          ...common,
          https: {
            cert: opts.https.cert,
            key: opts.https.key,
            // The TLS layer asks for a certificate and takes any; the app pins identities by fingerprint.
            requestCert: true,
            rejectUnauthorized: false,
            minVersion: 'TLSv1.2',
          },
        })
      : Fastify(common)
  ).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance

  try {
    app.setValidatorCompiler(typeboxValidatorCompiler)
    app.decorate('trackerConfig', config)

    await app.register(errorHandlerPlugin)
    // First of the request hooks, so that every answer carries them, refusals (415, 429, 401) included.
    await app.register(securityHeadersPlugin)
    await app.register(jsonOnlyPlugin)
    await app.register(storePlugin, { store, owned })
    // Before the rate limits, which count per client address.
    await app.register(clientAddressPlugin, { trustProxy: opts.trustProxy ?? [] })
    await app.register(clientCertificatePlugin, {
      source: opts.clientCertificate ?? tlsClientCertificate,
      // On the TLS listener a forwarded-certificate header can only be a forgery: drop it on arrival.
      stripHeaders: opts.https ? FORWARDED_CERTIFICATE_HEADERS : [],
    })
    await app.register(rateLimitPlugin, {
      perMinute: config.rateLimitPerMin,
      counter: opts.rateCounter ?? new MemoryRateCounter(),
      exempt: (request) => request.url === '/health',
      addressExempt: makeTrustMatcher(config.trustProxy),
      now,
    })
    if (opts.sweeper !== false) await app.register(sweeperPlugin, { intervalS: config.sweepIntervalS })

    // Graceful stop: requests already in flight finish, and their connections close behind them
    // (otherwise a keep-alive connection would hold the server open until the grace period ends).
    let closing = false
    app.addHook('preClose', async () => {
      closing = true
    })
    // Hooks on every request are written callback-style: an async hook costs a promise per request.
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (closing) void reply.header('connection', 'close')
      done(null, payload)
    })

    if (opts.logger && isDebugEnabled(opts.logger)) {
      app.addHook('onResponse', (request, reply, done) => {
        request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime), client: request.clientAddress }, 'request completed')
        done()
      })
    }

    // After the plugins whose decisions it shares, before the routes that add themselves to it.
    await app.register(hotLanePlugin, {
      // Only where the connection itself is the client: its certificate, its address.
      enabled: config.hotLane && (opts.clientCertificate ?? tlsClientCertificate) === tlsClientCertificate && (opts.trustProxy ?? []).length === 0,
      bodyLimit: BODY_LIMIT,
      now,
      logRequests: opts.logger ? isDebugEnabled(opts.logger) : false,
    })

    const relayOptions = { broadcastTtlS: config.broadcastTtlS, now }
    await app.register(relayRoutes, { prefix: TRACKER_API_PREFIX, ...relayOptions, version: VERSION, startedAt })
    await app.register(peersRoutes, { prefix: '/api/peers', ...relayOptions })
    const registryOptions = { maxFilesPerPeer: config.registryMaxFilesPerPeer, now }
    await app.register(registryRoutes, { prefix: REGISTRY_API_PREFIX, ...registryOptions, offlineRetentionS: config.registryOfflineRetentionS })
    await app.register(legacyRoutes, registryOptions)
    await app.register(matchmakerRoutes, {
      prefix: `${TRACKER_API_PREFIX}/matchmaker`,
      port: opts.matchmakerPort ?? config.matchmakerPort,
      tokenTtlS: config.matchmakerTokenTtlS,
      now,
    })
    await app.register(healthRoutes)

    await app.ready()
  } catch (err) {
    await app.close().catch(() => undefined)
    if (owned) await store.close().catch(() => undefined)
    throw err
  }
  return app as TrackerApp
}

/** Whether the logger writes debug lines (a pino logger says; anything else is assumed to). */
function isDebugEnabled(logger: FastifyBaseLogger): boolean {
  const check = (logger as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled
  return typeof check === 'function' ? check.call(logger, 'debug') : true
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

declare module 'fastify' {
  interface FastifyInstance {
    trackerConfig: TrackerConfig
  }
}
