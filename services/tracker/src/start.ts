/**
 * startTracker: everything `npm run tracker` does short of reading the environment and handling
 * signals: data dir, server certificate, store, the HTTPS app (and the plain-HTTP one behind a proxy
 * when configured), listening. Used by server.ts, the CLI, the demo and tests (in-process, port 0).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino, type Logger } from 'pino'
import type { AddressInfo } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import { buildApp, type TrackerApp } from './app.js'
import { defaultConfig, sqliteUrlFor, type TrackerConfig } from './config.js'
import { forwardedCertificateSource } from './plugins/forwarded-certificate.js'
import { MemoryRateCounter, StoreRateCounter, type RateCounter } from './plugins/rate-limit.js'
import { startMatchmaker, type MatchmakerStats, type RunningMatchmaker } from './matchmaker/server.js'
import { matchmakerKey } from './matchmaker/token.js'
import { loadServerCertificate } from './server-certificate.js'
import { openStore } from './store/open.js'
import { makeTrustMatcher } from './trust-proxy.js'

export interface StartTrackerOptions extends Partial<TrackerConfig> {
  /** A pino logger; false = silent. Default: pino to stdout at config.logLevel. */
  logger?: Logger | FastifyBaseLogger | false
  /**
   * Where the UDP matchmaker listens, overriding MATCHMAKER_PORT and RELAY_BIND_ADDRESS (tests:
   * `{ port: 0 }` for any free port, since MATCHMAKER_PORT=0 means off). An in-process tracker
   * without this or an explicit matchmakerPort runs no matchmaker.
   */
  matchmakerBind?: { port: number; host?: string }
  /** The clock in ms (tests); default Date.now. */
  now?: () => number
}

export interface RunningTracker {
  /** https://127.0.0.1:<port> (or https://[::1]:<port> when bound to ::1). */
  url: string
  port: number
  /** SHA-256 of the server certificate DER, lower-case hex: what clients pin. */
  fingerprint: string
  certPem: string
  config: TrackerConfig
  app: TrackerApp
  /** Plain-HTTP listener for a TLS-terminating proxy, when RELAY_HTTP_PORT is set. */
  http?: { url: string; port: number; app: TrackerApp }
  /** The UDP matchmaker, when it runs. */
  matchmaker?: { port: number; address: string; stats(): MatchmakerStats }
  /** Stop accepting, finish in-flight requests, close the store; removes a temporary data dir. */
  close(): Promise<void>
}

function hostForUrl(bindAddress: string): string {
  if (bindAddress === '::1') return '[::1]'
  if (bindAddress === '0.0.0.0' || bindAddress === '::' || bindAddress === 'localhost') return '127.0.0.1'
  return bindAddress.includes(':') ? `[${bindAddress}]` : bindAddress
}

/**
 * Start a tracker. Unset options take the defaults of `loadConfig`, except that an in-process tracker
 * binds 127.0.0.1 on port 0 and, without a dataDir, works in a temporary folder removed on close.
 */
export async function startTracker(options: StartTrackerOptions = {}): Promise<RunningTracker> {
  const { logger: loggerOption, matchmakerBind, now, ...overrides } = options
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<TrackerConfig>
  const tempDir = defined.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'flashback-tracker-')) : undefined
  const dataDir = defined.dataDir ?? (tempDir as string)
  const config: TrackerConfig = {
    ...defaultConfig(dataDir),
    port: 0,
    bindAddress: '127.0.0.1',
    // In-process trackers (tests, the demo) would all fight over UDP 12345: off unless asked for.
    matchmakerPort: 0,
    ...defined,
    dataDir,
  }
  if (defined.databaseUrl === undefined) config.databaseUrl = sqliteUrlFor(dataDir)
  const log: FastifyBaseLogger =
    loggerOption === false ? pino({ level: 'silent' }) : (loggerOption ?? pino({ level: config.logLevel }))

  const cleanup: (() => Promise<void>)[] = []
  const unwind = async () => {
    for (const step of cleanup.reverse()) await step().catch((err: unknown) => log.error({ err }, 'shutdown step failed'))
    cleanup.length = 0
  }
  if (tempDir) cleanup.push(() => rm(tempDir, { recursive: true, force: true }))

  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
    const cert = await loadServerCertificate({
      dataDir,
      certFile: config.tlsCertFile,
      keyFile: config.tlsKeyFile,
      onReplaced: (old) => log.warn({ not_after: old.notAfter.toISOString() }, 'the generated server certificate expired; generating a new one'),
    })
    if (cert.origin === 'generated') log.info({ fingerprint: cert.fingerprint, dir: dataDir }, 'generated a self-signed server certificate')

    const store = await openStore({
      databaseUrl: config.databaseUrl,
      poolMax: config.databasePoolMax,
      onError: (err) => log.warn({ err }, 'database connection error'),
    })
    cleanup.push(() => store.close())
    // With PostgreSQL the replicas share one budget per identity and address; SQLite is one process.
    const rateCounter: RateCounter = store.backend === 'postgres' ? new StoreRateCounter(store) : new MemoryRateCounter()

    let matchmaker: RunningMatchmaker | undefined
    if (matchmakerBind !== undefined || config.matchmakerPort !== 0) {
      const host = matchmakerBind?.host ?? config.bindAddress
      const wanted = matchmakerBind?.port ?? config.matchmakerPort
      try {
        matchmaker = await startMatchmaker({ host, port: wanted, key: await matchmakerKey(store), logger: log.child({ component: 'matchmaker' }) })
        const running = matchmaker
        cleanup.push(() => running.close())
        log.info({ port: matchmaker.port, address: matchmaker.address }, 'matchmaker listening')
      } catch (err) {
        // The relay and the registry work without it; NAT hole punching does not. Loud, not fatal:
        // replicas sharing a host can run one matchmaker between them.
        log.error({ err, port: wanted, host }, 'the UDP matchmaker could not listen; running without it (tokens answer 404)')
      }
    }
    const matchmakerPort = matchmaker?.port ?? 0

    const app = await buildApp({ config, store, logger: log, rateCounter, matchmakerPort, https: { cert: cert.certPem, key: cert.keyPem }, ...(now ? { now } : {}) })
    cleanup.push(() => app.close())

    let http: RunningTracker['http']
    if (config.httpPort !== undefined) {
      // Behind a TLS-terminating load balancer: plain HTTP, the client certificate in a forwarded header.
      const httpApp = await buildApp({
        config,
        store,
        logger: log.child({ listener: 'http' }),
        rateCounter,
        sweeper: false,
        matchmakerPort,
        clientCertificate: forwardedCertificateSource(makeTrustMatcher(config.trustProxy)),
        trustProxy: config.trustProxy,
      })
      // Closed before the TLS app (cleanup runs backwards), both before the store.
      cleanup.push(() => httpApp.close())
      await httpApp.listen({ port: config.httpPort, host: config.httpBindAddress })
      const httpPort = (httpApp.server.address() as AddressInfo).port
      http = { url: `http://${hostForUrl(config.httpBindAddress)}:${httpPort}`, port: httpPort, app: httpApp }
      if (config.trustProxy.length === 0) {
        log.warn('RELAY_HTTP_PORT is set but RELAY_TRUST_PROXY is empty: no forwarded certificate will be believed')
      }
      httpApp.log.info({ port: httpPort, trust_proxy: config.trustProxy }, 'tracker http listener (behind a TLS-terminating proxy)')
    }

    await app.listen({ port: config.port, host: config.bindAddress })
    const port = (app.server.address() as AddressInfo).port
    const url = `https://${hostForUrl(config.bindAddress)}:${port}`
    app.log.info({ port, fingerprint: cert.fingerprint, url, store: store.backend }, 'tracker listening')

    const running: RunningTracker = {
      url,
      port,
      fingerprint: cert.fingerprint,
      certPem: cert.certPem,
      config: { ...config, port, matchmakerPort, ...(http ? { httpPort: http.port } : {}) },
      app,
      ...(http ? { http } : {}),
      ...(matchmaker ? { matchmaker: { port: matchmaker.port, address: matchmaker.address, stats: matchmaker.stats } } : {}),
      close: unwind,
    }
    return running
  } catch (err) {
    await unwind()
    throw err
  }
}
