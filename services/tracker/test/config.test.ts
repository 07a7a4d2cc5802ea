/** loadConfig: defaults, environment, flags, and one clear error per bad value. */
import t from 'tap'
import { ConfigError, configHelp, defaultConfig, loadConfig } from '../src/config.js'

t.test('defaults follow the issue table', async (t) => {
  const c = loadConfig({}, [])
  t.same(
    { port: c.port, bind: c.bindAddress, dir: c.dataDir, db: c.databaseUrl, ttl: c.broadcastTtlS, sweep: c.sweepIntervalS, log: c.logLevel, rate: c.rateLimitPerMin },
    { port: 3000, bind: '0.0.0.0', dir: './data', db: 'sqlite:data/tracker.db', ttl: 3600, sweep: 60, log: 'info', rate: 600 },
    'every default is as documented',
  )
  t.equal(c.tlsCertFile, undefined, 'no TLS files by default (a certificate is generated)')
  t.equal(c.httpPort, undefined, 'no plain-HTTP listener by default')
  t.same(c, defaultConfig(), 'defaultConfig() is what an empty environment gives')
})

t.test('environment and flags', async (t) => {
  const env = { RELAY_PORT: '4000', RELAY_DATA_DIR: '/srv/tracker', BROADCAST_TTL_S: '120', RATE_LIMIT_PER_MIN: '0', LOG_LEVEL: 'WARN', RELAY_BIND_ADDRESS: '::' }
  const c = loadConfig(env, [])
  t.equal(c.port, 4000, 'RELAY_PORT is read')
  t.equal(c.databaseUrl, 'sqlite:/srv/tracker/tracker.db', 'the database follows RELAY_DATA_DIR')
  t.equal(c.broadcastTtlS, 120, 'BROADCAST_TTL_S is read')
  t.equal(c.rateLimitPerMin, 0, 'RATE_LIMIT_PER_MIN=0 turns limiting off')
  t.equal(c.logLevel, 'warn', 'LOG_LEVEL is case-insensitive')
  t.equal(c.bindAddress, '::', 'RELAY_BIND_ADDRESS accepts :: for dual stack')
  const f = loadConfig(env, ['--port', '5000', '--broadcast-ttl-s=30', '--relay-data-dir', '/tmp/x', '--database-url=sqlite:/tmp/y.db'])
  t.equal(f.port, 5000, 'a flag wins over the environment')
  t.equal(f.broadcastTtlS, 30, '--name=value works')
  t.equal(f.dataDir, '/tmp/x', 'the long --relay-* spelling works too')
  t.equal(f.databaseUrl, 'sqlite:/tmp/y.db', 'DATABASE_URL, when given, is kept')
  t.equal(loadConfig({ RELAY_PORT: '' }, []).port, 3000, 'an empty variable counts as unset')
  t.equal(loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1/db' }, []).databaseUrl, 'postgres://u@127.0.0.1/db', 'a postgres URL is accepted')
  t.same(loadConfig({ RELAY_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1' }, []).trustProxy, ['127.0.0.1', '10.0.0.0/8', '::1'], 'RELAY_TRUST_PROXY is a list')
  t.equal(loadConfig({}, []).hotLane, true, 'the hot lane is on by default')
  t.equal(loadConfig({ HOT_LANE: 'off' }, []).hotLane, false, 'HOT_LANE=off turns it off')
  t.equal(loadConfig({ HOT_LANE: 'OFF' }, ['--hot-lane', 'on']).hotLane, true, '--hot-lane on, any case')
  t.equal(loadConfig({ HOT_LANE: '0' }, []).hotLane, false, '0 reads as off')
})

t.test('a bad value throws a ConfigError naming the variable', async (t) => {
  const cases: [Record<string, string>, string[], string][] = [
    [{ RELAY_PORT: 'abc' }, [], 'RELAY_PORT'],
    [{ RELAY_PORT: '70000' }, [], 'RELAY_PORT'],
    [{ RELAY_PORT: '-1' }, [], 'RELAY_PORT'],
    [{}, ['--port', '1.5'], 'RELAY_PORT'],
    [{ RELAY_BIND_ADDRESS: 'example.com' }, [], 'RELAY_BIND_ADDRESS'],
    [{ BROADCAST_TTL_S: '0' }, [], 'BROADCAST_TTL_S'],
    [{ SWEEP_INTERVAL_S: 'soon' }, [], 'SWEEP_INTERVAL_S'],
    [{ LOG_LEVEL: 'loud' }, [], 'LOG_LEVEL'],
    [{ RATE_LIMIT_PER_MIN: 'lots' }, [], 'RATE_LIMIT_PER_MIN'],
    [{ DATABASE_URL: 'mysql://x' }, [], 'DATABASE_URL'],
    [{ RELAY_TLS_CERT: '/etc/cert.pem' }, [], 'RELAY_TLS_KEY'],
    [{ RELAY_TLS_KEY: '/etc/key.pem' }, [], 'RELAY_TLS_CERT'],
    [{ DATABASE_POOL_MAX: '0' }, [], 'DATABASE_POOL_MAX'],
    [{ RELAY_TRUST_PROXY: 'not-an-ip' }, [], 'RELAY_TRUST_PROXY'],
    [{ RELAY_HTTP_PORT: '3000' }, [], 'RELAY_HTTP_PORT'],
    [{ HOT_LANE: 'fast' }, [], 'HOT_LANE'],
    [{}, ['--no-such-flag', '1'], '--no-such-flag'],
    [{}, ['--port'], 'RELAY_PORT'],
  ]
  for (const [env, argv, variable] of cases) {
    try {
      loadConfig(env, argv)
      t.fail(`${JSON.stringify(env)} ${argv.join(' ')} should be refused`)
    } catch (err) {
      t.ok(err instanceof ConfigError, `${JSON.stringify(env)} ${argv.join(' ')}: a ConfigError`)
      t.equal((err as ConfigError).variable, variable, `it names ${variable}`)
      t.match((err as Error).message, new RegExp(`^${variable}: `), 'the message starts with the variable')
      t.notMatch((err as Error).message, /\n/, 'the message is one line')
    }
  }
  try {
    loadConfig({ DATABASE_URL: 'mysql://user:secret@host/db' }, [])
  } catch (err) {
    t.notMatch((err as Error).message, /secret/, 'a password in a bad DATABASE_URL is not echoed')
  }
})

t.test('--help lists every variable with its flag', async (t) => {
  const help = configHelp()
  for (const name of ['RELAY_PORT', 'RELAY_BIND_ADDRESS', 'RELAY_DATA_DIR', 'DATABASE_URL', 'RELAY_TLS_CERT', 'RELAY_TLS_KEY', 'BROADCAST_TTL_S', 'SWEEP_INTERVAL_S', 'LOG_LEVEL', 'RATE_LIMIT_PER_MIN']) {
    t.match(help, name, `--help mentions ${name}`)
  }
  t.match(help, '--port <value>', 'and the flag spelling')
})
