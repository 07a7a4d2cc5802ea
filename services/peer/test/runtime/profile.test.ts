import t from 'tap'
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { Profile, ProfileError } from '../../src/runtime/index.js'

const FP = 'ab'.repeat(32)

t.test('a new profile folder is created 0700 and starts empty', async (t) => {
  const dir = join(t.testdir(), 'p')
  const profile = await Profile.open(dir)
  t.equal(statSync(dir).mode & 0o777, 0o700, 'the profile folder is private to its owner')
  t.same(profile.config, {}, 'no settings yet')
  t.same(profile.friends, [], 'no friends yet')
  t.throws(() => profile.startConfig(), { name: 'ProfileError', field: '/email' }, 'start() needs an e-mail first and says so')
})

t.test('settings are saved atomically, 0600, and read back on the next open', async (t) => {
  const dir = t.testdir()
  const profile = await Profile.open(dir)
  await profile.update({
    email: 'alice@example.com',
    shareRoot: '/srv/share',
    trackerUrl: 'https://127.0.0.1:3000',
    trackerFingerprint: FP.toUpperCase().match(/../g)!.join(':'),
    port: 4567,
  })
  const file = join(dir, 'config.json')
  t.equal(statSync(file).mode & 0o777, 0o600, 'config.json is private')
  t.same(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file is left behind')
  const again = await Profile.open(dir)
  t.equal(again.config.trackerFingerprint, FP, 'a pasted fingerprint (colons, upper case) is stored canonical')
  t.equal(again.config.port, 4567, 'the port survives a reopen')
  const start = again.startConfig()
  t.equal(start.access, 'open', 'the default access on loopback is open')
  t.equal(start.bindAll, false, 'loopback by default')
  await again.update({ bindAll: true })
  t.equal(again.startConfig().access, 'registered', 'the default access with bindAll is registered')
  await again.update({ port: null })
  t.equal(again.config.port, undefined, 'null removes a setting')
})

t.test('choosing a CA file forgets the pinned fingerprint and back', async (t) => {
  const profile = await Profile.open(t.testdir())
  await profile.update({ trackerFingerprint: FP })
  await profile.update({ trackerCaFile: '/etc/flashback/ca.pem' })
  t.equal(profile.config.trackerFingerprint, undefined, 'the fingerprint is dropped for the CA file')
  await profile.update({ trackerFingerprint: FP })
  t.equal(profile.config.trackerCaFile, undefined, 'the CA file is dropped for the fingerprint')
})

t.test('invalid config.json files are refused with the file and the field named', async (t) => {
  const cases: { name: string; config: unknown; field: string; message: RegExp }[] = [
    { name: 'port out of range', config: { port: 70000 }, field: '/port', message: /\/port/ },
    { name: 'unknown setting', config: { shareroot: '/x' }, field: '/shareroot', message: /\/shareroot is not a known setting/ },
    { name: 'relative share root', config: { shareRoot: 'share' }, field: '/shareRoot', message: /absolute path/ },
    { name: 'http tracker', config: { trackerUrl: 'http://127.0.0.1:3000' }, field: '/trackerUrl', message: /https/ },
    { name: 'not a URL', config: { trackerUrl: 'https//nope nope' }, field: '/trackerUrl', message: /not a URL/ },
    { name: 'bad fingerprint', config: { trackerFingerprint: 'abc' }, field: '/trackerFingerprint', message: /trackerFingerprint/ },
    { name: 'both trust settings', config: { trackerFingerprint: FP, trackerCaFile: '/ca.pem' }, field: '/trackerCaFile', message: /not both/ },
    { name: 'open access on every interface', config: { bindAll: true, access: 'open' }, field: '/access', message: /only allowed on loopback/ },
    { name: 'unknown access policy', config: { access: 'everyone' }, field: '/access', message: /\/access/ },
    { name: 'not an e-mail', config: { email: 'alice' }, field: '/email', message: /\/email/ },
  ]
  for (const c of cases) {
    const dir = t.testdir()
    writeFileSync(join(dir, 'config.json'), JSON.stringify(c.config))
    const err = await Profile.open(dir).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.ok(err instanceof ProfileError, `${c.name}: refused with a ProfileError`)
    t.equal((err as ProfileError).field, c.field, `${c.name}: the error names ${c.field}`)
    t.match((err as ProfileError).message, c.message, `${c.name}: the message explains it`)
    t.match((err as ProfileError).message, /config\.json/, `${c.name}: the message names the file`)
  }
})

t.test('a config.json that is not JSON is refused clearly', async (t) => {
  const dir = t.testdir()
  writeFileSync(join(dir, 'config.json'), '{ "email": ')
  await t.rejects(Profile.open(dir), { name: 'ProfileError', message: /config\.json is not valid JSON/ }, 'the file is named')
})

t.test('update() validates before writing anything', async (t) => {
  const dir = t.testdir()
  const profile = await Profile.open(dir)
  await profile.update({ email: 'alice@example.com' })
  const before = readFileSync(join(dir, 'config.json'), 'utf8')
  await t.rejects(profile.update({ port: -1 }), { name: 'ProfileError', field: '/port' }, 'a bad port is refused')
  await t.rejects(profile.update({ trackerFingerprint: 'xyz' }), { name: 'ProfileError', field: '/trackerFingerprint' }, 'a bad fingerprint is refused')
  t.equal(readFileSync(join(dir, 'config.json'), 'utf8'), before, 'the file is untouched by refused updates')
})

t.test('startConfig() names the first missing setting, and overrides apply without being saved', async (t) => {
  const profile = await Profile.open(t.testdir())
  await profile.update({ email: 'alice@example.com' })
  t.throws(() => profile.startConfig(), { name: 'ProfileError', field: '/shareRoot' }, 'the share root is asked for next')
  await profile.update({ shareRoot: '/srv/share' })
  t.throws(() => profile.startConfig(), { name: 'ProfileError', field: '/trackerUrl' }, 'then the tracker URL')
  const config = profile.startConfig({ trackerUrl: 'https://127.0.0.1:1', port: 9 })
  t.equal(config.port, 9, 'an override applies to this run')
  t.equal(profile.config.port, undefined, 'an override is not saved')
  t.throws(() => profile.startConfig({ trackerUrl: 'ftp://x' }), { name: 'ProfileError', field: '/trackerUrl' }, 'overrides are validated too')
})

t.test('the identity is created once (key 0600); a new e-mail gets a new one and the old is kept aside', async (t) => {
  const dir = t.testdir()
  const profile = await Profile.open(dir)
  const first = await profile.ensureIdentity('alice@example.com')
  t.equal(statSync(join(dir, 'identity', 'key.pem')).mode & 0o777, 0o600, 'the key is private')
  t.equal((await profile.ensureIdentity('alice@example.com')).fingerprint, first.fingerprint, 'the same identity is reused')
  t.equal((await profile.loadIdentity())?.fingerprint, first.fingerprint, 'loadIdentity reads it back')
  const second = await profile.ensureIdentity('alice2@example.com')
  t.not(second.fingerprint, first.fingerprint, 'a new e-mail means a new certificate')
  t.equal(second.email, 'alice2@example.com', 'for the new address')
  t.ok(existsSync(join(dir, `identity-${first.fingerprint.slice(0, 12)}`, 'key.pem')), 'the old key is moved aside, not deleted')
})

t.test('friends are kept sorted, replaced by e-mail (case-insensitively), removed, and re-read when another process changes them', async (t) => {
  const dir = t.testdir()
  const profile = await Profile.open(dir)
  await profile.putFriend({ email: 'bob@example.com', fingerprint: FP, addedAt: new Date().toISOString() })
  await profile.putFriend({ email: 'amy@example.com', fingerprint: 'cd'.repeat(32), nickname: 'Amy', addedAt: new Date().toISOString() })
  await profile.putFriend({ email: 'BOB@example.com', fingerprint: 'ef'.repeat(32), addedAt: new Date().toISOString() })
  t.same(profile.friends.map((f) => f.email), ['amy@example.com', 'BOB@example.com'], 'sorted, and the same e-mail replaced')
  t.equal(profile.getFriend('bob@EXAMPLE.com')?.fingerprint, 'ef'.repeat(32), 'looked up case-insensitively')
  t.equal(statSync(join(dir, 'friends.json')).mode & 0o777, 0o600, 'friends.json is private')

  const other = await Profile.open(dir)
  t.equal(other.friends.length, 2, 'another process sees the friends')
  t.equal(await other.removeFriend('amy@example.com'), true, 'a friend is removed')
  t.equal(await other.removeFriend('nobody@example.com'), false, 'removing an unknown friend says so')
  t.equal(await profile.reloadFriends(), true, 'the first profile notices the file changed')
  t.same(profile.friends.map((f) => f.email), ['BOB@example.com'], 'and sees the removal')
  t.equal(await profile.reloadFriends(), false, 'an unchanged file is not re-read')

  writeFileSync(join(dir, 'friends.json'), JSON.stringify({ version: 1, friends: [{ email: 'x@example.com', fingerprint: 'nope', addedAt: 'x' }] }))
  await t.rejects(profile.reloadFriends(), { name: 'ProfileError', message: /friends\.json: \/friends\/0/ }, 'a damaged friends file is refused with the field named')
})

t.test('the address cache persists, is case-insensitive and forgets on request; a damaged cache is dropped', async (t) => {
  const dir = t.testdir()
  const profile = await Profile.open(dir)
  await profile.cacheAddress('Bob@example.com', { address: '127.0.0.3', port: 4000, fingerprint: FP })
  const other = await Profile.open(dir)
  t.match(other.cachedAddress('bob@example.com'), { address: '127.0.0.3', port: 4000, fingerprint: FP }, 'the winning address survives a restart')
  await other.forgetAddress('BOB@example.com')
  t.equal((await Profile.open(dir)).cachedAddress('bob@example.com'), undefined, 'forgotten for good')
  writeFileSync(join(dir, 'peers.json'), '{ broken')
  const damaged = await Profile.open(dir)
  t.equal(damaged.cachedAddress('bob@example.com'), undefined, 'a damaged cache is only a cache: the profile still opens')
})

t.test('relative profile folders are refused', async (t) => {
  await t.rejects(Profile.open('relative/dir'), { name: 'ProfileError', message: /absolute/ }, 'the profile path must be absolute')
})
