/** The hash cache: round trip, exact size+mtime match, cold starts on anything unusable, 0600. */
import t, { type Test } from 'tap'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HashCache } from '../../src/publish/hash-cache.js'

const sha = (n: number) => n.toString(16).padStart(64, '0')

async function dir(t: Test): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'fb-hash-cache-'))
  t.teardown(() => rm(d, { recursive: true, force: true }))
  return d
}

t.test('round trip', async (t) => {
  const d = await dir(t)
  const file = join(d, 'profile', 'hash-cache.json')
  const cache = await HashCache.load(file, '/share')
  t.equal(cache.size, 0, 'no file: an empty cache')
  cache.set('a/b.txt', 10, 1700000000123.456, sha(1))
  cache.set('c.txt', 0, 1, sha(2))
  t.equal(cache.get('a/b.txt', 10, 1700000000123.456), sha(1), 'a hash is found by path, size and mtime')
  t.equal(cache.get('a/b.txt', 11, 1700000000123.456), undefined, 'another size misses')
  t.equal(cache.get('a/b.txt', 10, 1700000000123.457), undefined, 'another mtime misses (fractional milliseconds count)')
  t.ok(cache.dirty, 'changes make it dirty')
  await cache.save()
  t.notOk(cache.dirty, 'saving makes it clean')
  t.equal((await stat(file)).mode & 0o777, 0o600, 'the file is private (0600)')
  const again = await HashCache.load(file, '/share')
  t.equal(again.get('a/b.txt', 10, 1700000000123.456), sha(1), 'entries survive a reload')
  t.equal(again.size, 2, 'all of them')
  again.delete('c.txt')
  t.equal(again.prune((p) => p !== 'a/b.txt'), 1, 'prune drops the paths not kept')
  await again.save()
  t.equal((await HashCache.load(file, '/share')).size, 0, 'deletions are saved too')
  const before = await readFile(file, 'utf8')
  const clean = await HashCache.load(file, '/share')
  clean.set('x', 1, 1, sha(3))
  clean.delete('x')
  t.equal(await readFile(file, 'utf8'), before, 'nothing is written until save()')
})

t.test('anything unusable is a cold start', async (t) => {
  const d = await dir(t)
  const file = join(d, 'hash-cache.json')
  const cases: [string, string][] = [
    ['not JSON', '{"version":1,'],
    ['another version', JSON.stringify({ version: 2, root: '/share', entries: { a: [1, 1, sha(1)] } })],
    ['another share root', JSON.stringify({ version: 1, root: '/elsewhere', entries: { a: [1, 1, sha(1)] } })],
    ['no entries', JSON.stringify({ version: 1, root: '/share' })],
  ]
  for (const [what, text] of cases) {
    await writeFile(file, text)
    t.equal((await HashCache.load(file, '/share')).size, 0, `${what}: empty`)
  }
  await writeFile(file, JSON.stringify({ version: 1, root: '/share', entries: { good: [1, 2, sha(1)], bad: [1, 2, 'xyz'], short: [1, 2], str: ['1', 2, sha(1)] } }))
  const partial = await HashCache.load(file, '/share')
  t.equal(partial.size, 1, 'malformed entries are skipped, good ones kept')
  t.equal(partial.get('good', 1, 2), sha(1), 'the good one is usable')
})
