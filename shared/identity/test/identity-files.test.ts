import t from 'tap'
import { statSync, writeFileSync, chmodSync } from 'node:fs'
import { join } from 'node:path'
import { loadIdentity, loadOrCreateIdentity, KEY_FILE, writeFileAtomic } from '../src/index.js'

t.test('an identity is created once, with the key 0600, and reused after', async (t) => {
  const dir = join(t.testdir(), 'profile')
  const first = await loadOrCreateIdentity(dir, { email: 'alice@example.com' })
  t.equal(statSync(join(dir, KEY_FILE)).mode & 0o777, 0o600, 'the key is readable by its owner only')
  const again = await loadOrCreateIdentity(dir, { email: 'alice@example.com' })
  t.equal(again.fingerprint, first.fingerprint, 'the second start reuses the same certificate')
  t.equal(again.email, 'alice@example.com', 'the e-mail comes from the certificate')
})

t.test('a profile that belongs to someone else is not silently replaced', async (t) => {
  const dir = t.testdir()
  await loadOrCreateIdentity(dir, { email: 'alice@example.com' })
  await t.rejects(loadOrCreateIdentity(dir, { email: 'bob@example.com' }), /belongs to alice@example\.com/, 'a clear error names the owner')
})

t.test('a key others can read is tightened to 0600 on load', async (t) => {
  const dir = t.testdir()
  await loadOrCreateIdentity(dir, { email: 'alice@example.com' })
  chmodSync(join(dir, KEY_FILE), 0o644)
  await loadIdentity(dir)
  t.equal(statSync(join(dir, KEY_FILE)).mode & 0o777, 0o600, 'permissions were repaired')
})

t.test('an empty folder has no identity', async (t) => {
  t.equal(await loadIdentity(t.testdir()), undefined, 'undefined, not an error')
})

t.test('atomic writes replace the whole file and set the mode', async (t) => {
  const dir = t.testdir()
  const file = join(dir, 'x.json')
  writeFileSync(file, 'old')
  await writeFileAtomic(file, 'new', 0o640)
  t.equal(statSync(file).mode & 0o777, 0o640, 'the mode is exact despite the umask')
})
