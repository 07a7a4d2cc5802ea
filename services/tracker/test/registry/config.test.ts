/** The registry's and the matchmaker's settings: defaults, environment, flags, refusals. */
import t from 'tap'
import { ConfigError, configHelp, loadConfig } from '../../src/config.js'

t.test('defaults', async (t) => {
  const c = loadConfig({}, [])
  t.equal(c.matchmakerPort, 12345, 'MATCHMAKER_PORT defaults to 12345')
  t.equal(c.matchmakerTokenTtlS, 300, 'MATCHMAKER_TOKEN_TTL_S defaults to 300')
  t.equal(c.registryOfflineRetentionS, 604800, 'REGISTRY_OFFLINE_RETENTION_S defaults to 7 days')
  t.equal(c.registryMaxFilesPerPeer, 100_000, 'REGISTRY_MAX_FILES_PER_PEER defaults to 100,000')
  t.same(c.trustProxy, [], 'RELAY_TRUST_PROXY defaults to none')
})

t.test('environment and flags', async (t) => {
  const c = loadConfig({ MATCHMAKER_PORT: '0', MATCHMAKER_TOKEN_TTL_S: '60', REGISTRY_OFFLINE_RETENTION_S: '0', REGISTRY_MAX_FILES_PER_PEER: '5' }, [])
  t.equal(c.matchmakerPort, 0, 'MATCHMAKER_PORT=0 turns the matchmaker off')
  t.equal(c.matchmakerTokenTtlS, 60, 'the token lifetime is read')
  t.equal(c.registryOfflineRetentionS, 0, 'a retention of 0 (delete at the next sweep) is allowed')
  t.equal(c.registryMaxFilesPerPeer, 5, 'the quota is read')
  const f = loadConfig({}, ['--matchmaker-port', '4000', '--matchmaker-token-ttl-s=120', '--registry-offline-retention-s', '3600'])
  t.same([f.matchmakerPort, f.matchmakerTokenTtlS, f.registryOfflineRetentionS], [4000, 120, 3600], 'each has a flag')
  const help = configHelp()
  for (const name of ['MATCHMAKER_PORT', 'MATCHMAKER_TOKEN_TTL_S', 'REGISTRY_OFFLINE_RETENTION_S', 'REGISTRY_MAX_FILES_PER_PEER', 'RELAY_TRUST_PROXY']) {
    t.match(help, name, `--help lists ${name}`)
  }
})

t.test('bad values name the variable', async (t) => {
  const cases: [Record<string, string>, string][] = [
    [{ MATCHMAKER_PORT: '70000' }, 'MATCHMAKER_PORT'],
    [{ MATCHMAKER_PORT: 'udp' }, 'MATCHMAKER_PORT'],
    [{ MATCHMAKER_TOKEN_TTL_S: '5' }, 'MATCHMAKER_TOKEN_TTL_S'],
    [{ REGISTRY_OFFLINE_RETENTION_S: '-1' }, 'REGISTRY_OFFLINE_RETENTION_S'],
    [{ REGISTRY_MAX_FILES_PER_PEER: '0' }, 'REGISTRY_MAX_FILES_PER_PEER'],
    [{ RELAY_TRUST_PROXY: '10.0.0.0/8,nope' }, 'RELAY_TRUST_PROXY'],
  ]
  for (const [env, variable] of cases) {
    const err = (() => {
      try {
        loadConfig(env, [])
        return undefined
      } catch (e) {
        return e
      }
    })()
    t.ok(err instanceof ConfigError && err.variable === variable, `${JSON.stringify(env)}: refused, naming ${variable}`)
  }
})
