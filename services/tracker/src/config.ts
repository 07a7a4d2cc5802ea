/**
 * Tracker configuration: environment variables, each also accepted as a CLI flag
 * (`RELAY_PORT=4000` ≡ `--port 4000` ≡ `--relay-port=4000`; flags win over the environment).
 * Every value is validated at start; a bad one throws a ConfigError whose message names the variable.
 *
 * The table below is the one place a setting is declared: later features add rows (and fields to
 * TrackerConfig) without touching the parser.
 */
import { isAbsolute, join, resolve } from 'node:path'
import ipaddr from 'ipaddr.js'

export interface TrackerConfig {
  /** HTTPS port (0 = any free port). */
  port: number
  /** Listen address of the HTTPS server ('::' for dual stack). */
  bindAddress: string
  /** Holds the SQLite database and the auto-generated server certificate. */
  dataDir: string
  /** `sqlite:<path>` or `postgres://…`. */
  databaseUrl: string
  /** Connection pool size of the PostgreSQL store. */
  databasePoolMax: number
  /** PEM files of the server certificate; both unset = self-signed one in the data dir. */
  tlsCertFile: string | undefined
  tlsKeyFile: string | undefined
  /** Lifetime of a broadcast in seconds. */
  broadcastTtlS: number
  /** Seconds between sweeps of expired broadcasts (0 = never sweep). */
  sweepIntervalS: number
  /** pino level. */
  logLevel: string
  /** Requests per minute per identity (twice that per IP); 0 = off. */
  rateLimitPerMin: number
  /** Plain-HTTP listener for a TLS-terminating proxy (undefined = off). */
  httpPort: number | undefined
  /** Listen address of the plain-HTTP listener (loopback by default: it trusts forwarded headers). */
  httpBindAddress: string
  /** Proxy addresses (IPs or CIDRs) whose forwarded headers are believed. */
  trustProxy: string[]
  /** UDP port of the matchmaker (0 = off). */
  matchmakerPort: number
  /** Lifetime of a matchmaker token in seconds. */
  matchmakerTokenTtlS: number
  /** Registry entries of a peer offline this long (seconds) are deleted. */
  registryOfflineRetentionS: number
  /** Most registry entries one identity may hold. */
  registryMaxFilesPerPeer: number
  /** Serve lookup, ready and heartbeat straight from the TLS connection (src/hot-lane/); off = all through Fastify. */
  hotLane: boolean
}

export class ConfigError extends Error {
  /** The environment variable at fault. */
  readonly variable: string
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`)
    this.name = 'ConfigError'
    this.variable = variable
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

type Parser<T> = (raw: string, variable: string) => T

function integer(min: number, max: number): Parser<number> {
  return (raw, variable) => {
    if (!/^\d+$/.test(raw.trim())) throw new ConfigError(variable, `must be an integer from ${min} to ${max}, got "${raw}"`)
    const n = Number(raw.trim())
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new ConfigError(variable, `must be an integer from ${min} to ${max}, got "${raw}"`)
    }
    return n
  }
}

const nonEmpty: Parser<string> = (raw, variable) => {
  if (raw.trim() === '') throw new ConfigError(variable, 'must not be empty')
  return raw.trim()
}

const ipLiteral: Parser<string> = (raw, variable) => {
  const value = raw.trim()
  if (value === 'localhost') return value
  if (!ipaddr.isValid(value) || (ipaddr.IPv4.isValid(value) && !ipaddr.IPv4.isValidFourPartDecimal(value))) {
    throw new ConfigError(variable, `must be an IPv4 or IPv6 address (e.g. 0.0.0.0, ::, 127.0.0.1), got "${raw}"`)
  }
  return value
}

const logLevel: Parser<string> = (raw, variable) => {
  const value = raw.trim().toLowerCase()
  if (!LOG_LEVELS.includes(value)) throw new ConfigError(variable, `must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`)
  return value
}

const databaseUrl: Parser<string> = (raw, variable) => {
  const value = raw.trim()
  if (/^sqlite:.+/.test(value) || /^postgres(ql)?:\/\/.+/.test(value)) return value
  throw new ConfigError(variable, `must be sqlite:<path> or postgres://…, got "${value.replace(/\/\/[^@/]*@/, '//***@')}"`)
}

const onOff: Parser<boolean> = (raw, variable) => {
  const value = raw.trim().toLowerCase()
  if (['on', 'true', '1', 'yes'].includes(value)) return true
  if (['off', 'false', '0', 'no'].includes(value)) return false
  throw new ConfigError(variable, `must be on or off, got "${raw}"`)
}

const cidrList: Parser<string[]> = (raw, variable) => {
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean)
  for (const item of items) {
    try {
      if (item.includes('/')) ipaddr.parseCIDR(item)
      else if (!ipaddr.isValid(item)) throw new Error('not an address')
    } catch {
      throw new ConfigError(variable, `"${item}" is not an IP address or CIDR range`)
    }
  }
  return items
}

interface Setting<K extends keyof TrackerConfig> {
  key: K
  env: string
  parse: Parser<TrackerConfig[K]>
  help: string
}

function setting<K extends keyof TrackerConfig>(key: K, env: string, parse: Parser<TrackerConfig[K]>, help: string): Setting<K> {
  return { key, env, parse, help }
}

/** Every setting, in the order `--help` lists them. */
export const SETTINGS = [
  setting('port', 'RELAY_PORT', integer(0, 65535), 'HTTPS port (0 = any free port) [3000]'),
  setting('bindAddress', 'RELAY_BIND_ADDRESS', ipLiteral, 'listen address, :: for dual stack [0.0.0.0]'),
  setting('dataDir', 'RELAY_DATA_DIR', nonEmpty, 'SQLite database and generated server certificate [./data]'),
  setting('databaseUrl', 'DATABASE_URL', databaseUrl, 'sqlite:<path> or postgres://… [sqlite:<RELAY_DATA_DIR>/tracker.db]'),
  setting('databasePoolMax', 'DATABASE_POOL_MAX', integer(1, 1000), 'PostgreSQL connection pool size [10]'),
  setting('tlsCertFile', 'RELAY_TLS_CERT', nonEmpty, 'PEM file of the server certificate (chain) [generated]'),
  setting('tlsKeyFile', 'RELAY_TLS_KEY', nonEmpty, 'PEM file of the server key [generated]'),
  setting('broadcastTtlS', 'BROADCAST_TTL_S', integer(1, 30 * 24 * 3600), 'lifetime of a broadcast in seconds [3600]'),
  setting('sweepIntervalS', 'SWEEP_INTERVAL_S', integer(0, 24 * 3600), 'seconds between sweeps of expired broadcasts, 0 = off [60]'),
  setting('logLevel', 'LOG_LEVEL', logLevel, 'pino level [info]'),
  setting('rateLimitPerMin', 'RATE_LIMIT_PER_MIN', integer(0, 10_000_000), 'requests per minute per identity (x2 per IP), 0 = off [600]'),
  setting('httpPort', 'RELAY_HTTP_PORT', integer(0, 65535), 'plain-HTTP listener for a TLS-terminating proxy [off]'),
  setting('httpBindAddress', 'RELAY_HTTP_BIND_ADDRESS', ipLiteral, 'listen address of the plain-HTTP listener [127.0.0.1]'),
  setting('trustProxy', 'RELAY_TRUST_PROXY', cidrList, 'comma-separated proxy IPs/CIDRs whose forwarded headers are trusted [none]'),
  setting('matchmakerPort', 'MATCHMAKER_PORT', integer(0, 65535), 'UDP port of the NAT hole-punching matchmaker, 0 = off [12345]'),
  setting('matchmakerTokenTtlS', 'MATCHMAKER_TOKEN_TTL_S', integer(10, 24 * 3600), 'lifetime of a matchmaker token in seconds [300]'),
  setting('registryOfflineRetentionS', 'REGISTRY_OFFLINE_RETENTION_S', integer(0, 10 * 365 * 24 * 3600), 'seconds a peer offline keeps its registry entries [604800]'),
  setting('registryMaxFilesPerPeer', 'REGISTRY_MAX_FILES_PER_PEER', integer(1, 100_000_000), 'most registry entries one identity may hold [100000]'),
  setting('hotLane', 'HOT_LANE', onOff, 'serve lookup/ready/heartbeat straight from the TLS connection, off = all through Fastify [on]'),
] as const

/** Defaults for everything but the database URL, which follows the data dir. */
export function defaultConfig(dataDir = './data'): TrackerConfig {
  return {
    port: 3000,
    bindAddress: '0.0.0.0',
    dataDir,
    databaseUrl: sqliteUrlFor(dataDir),
    databasePoolMax: 10,
    tlsCertFile: undefined,
    tlsKeyFile: undefined,
    broadcastTtlS: 3600,
    sweepIntervalS: 60,
    logLevel: 'info',
    rateLimitPerMin: 600,
    httpPort: undefined,
    httpBindAddress: '127.0.0.1',
    trustProxy: [],
    matchmakerPort: 12345,
    matchmakerTokenTtlS: 300,
    registryOfflineRetentionS: 7 * 24 * 3600,
    registryMaxFilesPerPeer: 100_000,
    hotLane: true,
  }
}

export function sqliteUrlFor(dataDir: string): string {
  return `sqlite:${join(dataDir, 'tracker.db')}`
}

/** The CLI flag of a setting: RELAY_PORT → --port, DATABASE_URL → --database-url. */
export function flagFor(env: string): string {
  return '--' + env.replace(/^RELAY_/, '').toLowerCase().replace(/_/g, '-')
}

function flagTable(): Map<string, string> {
  const flags = new Map<string, string>()
  for (const s of SETTINGS) {
    flags.set(flagFor(s.env), s.env)
    flags.set('--' + s.env.toLowerCase().replace(/_/g, '-'), s.env)
  }
  return flags
}

/** Read `--flag value` / `--flag=value` pairs into environment-variable form. */
function parseArgv(argv: readonly string[]): Record<string, string> {
  const flags = flagTable()
  const out: Record<string, string> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const eq = arg.indexOf('=')
    const name = eq === -1 ? arg : arg.slice(0, eq)
    const env = flags.get(name)
    if (!env) throw new ConfigError(name, `unknown option (see --help)`)
    let value: string | undefined
    if (eq !== -1) value = arg.slice(eq + 1)
    else {
      value = argv[i + 1]
      i++
    }
    if (value === undefined) throw new ConfigError(env, `${name} needs a value`)
    out[env] = value
  }
  return out
}

/**
 * The validated configuration from the environment and CLI flags (flags win).
 * Empty environment variables count as unset. Throws ConfigError naming the variable at fault.
 */
export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined> = {}, argv: readonly string[] = []): TrackerConfig {
  const fromArgs = parseArgv(argv)
  const raw = (name: string): string | undefined => {
    const value = fromArgs[name] ?? env[name]
    return value === undefined || value === '' ? undefined : value
  }
  const config = defaultConfig()
  const assign = <K extends keyof TrackerConfig>(s: Setting<K>) => {
    const value = raw(s.env)
    if (value !== undefined) config[s.key] = s.parse(value, s.env)
  }
  for (const s of SETTINGS) assign(s as Setting<keyof TrackerConfig>)

  if (raw('DATABASE_URL') === undefined) config.databaseUrl = sqliteUrlFor(config.dataDir)
  if ((config.tlsCertFile === undefined) !== (config.tlsKeyFile === undefined)) {
    throw new ConfigError(config.tlsCertFile === undefined ? 'RELAY_TLS_CERT' : 'RELAY_TLS_KEY', 'RELAY_TLS_CERT and RELAY_TLS_KEY must be set together')
  }
  if (config.httpPort !== undefined && config.httpPort === config.port && config.port !== 0) {
    throw new ConfigError('RELAY_HTTP_PORT', `must differ from RELAY_PORT (${config.port})`)
  }
  return config
}

/** `--help` text: every flag, its variable and default. */
export function configHelp(): string {
  const lines = ['Usage: tracker [options]   (every option is also an environment variable)', '']
  for (const s of SETTINGS) lines.push(`  ${(flagFor(s.env) + ' <value>').padEnd(28)} ${s.env.padEnd(24)} ${s.help}`)
  return lines.join('\n')
}

/** Where a sqlite: URL points, resolved against the working directory. */
export function sqlitePathOf(url: string): string {
  const path = url.replace(/^sqlite:(\/\/)?/, '')
  if (path === ':memory:') return path
  return isAbsolute(path) ? path : resolve(path)
}
