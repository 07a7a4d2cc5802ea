import t from 'tap'
import { mkdir, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FileListing, type FileEntry } from '@flashback/protocol'
import Value from 'typebox/value'
import { buildIndex, compareEntries, decodeCursor, encodeCursor, IndexCache, mapBounded, startAfter, type IndexEntry } from '../../src/server/listing.js'
import { resolveShareRoot } from '../../src/server/path-guard.js'
import { countingFs } from './helper.js'
import { request, startServer, tempDir } from './helper.js'

const e = (name: string, dir = false): IndexEntry => ({ name, lower: name.toLowerCase(), dir })

t.test('sort order: folders first, then case-insensitive, then by code unit', async (t) => {
  const sorted = [e('b.txt'), e('Zeta', true), e('a.txt'), e('B.txt'), e('alpha', true), e('Ä.txt'), e('10.txt'), e('9.txt')].sort(compareEntries)
  t.same(sorted.map((x) => x.name), ['alpha', 'Zeta', '10.txt', '9.txt', 'a.txt', 'B.txt', 'b.txt', 'Ä.txt'], 'a total, stable order')
})

t.test('cursors', async (t) => {
  for (const entry of [e('plain.txt'), e('folder', true), e('café ☕.md'), e('a,b;c=d&e'), e('=')]) {
    const cursor = encodeCursor(entry)
    t.match(cursor, /^[A-Za-z0-9_-]+$/, `the cursor of ${entry.name} is URL-safe`)
    t.same(decodeCursor(cursor), entry, `and decodes back to ${entry.name}`)
  }
  for (const bad of ['', 'not base64!', 'eA', Buffer.from('xname').toString('base64url'), Buffer.from('d').toString('base64url'), 'ZmFv=', 'ZmF']) {
    t.equal(decodeCursor(bad), undefined, `"${bad}" is not a cursor`)
  }
  const entries = ['a', 'b', 'c', 'e'].map((n) => e(n))
  t.equal(startAfter(entries, undefined), 0, 'no cursor starts at the top')
  t.equal(startAfter(entries, e('b')), 2, 'after an existing name')
  t.equal(startAfter(entries, e('d')), 3, 'after a name deleted since')
  t.equal(startAfter(entries, e('z')), 4, 'after everything')
  t.equal(startAfter(entries, e('z', true)), 0, 'a folder cursor sorts before every file')
})

t.test('mapBounded keeps order and never exceeds its limit', async (t) => {
  let inFlight = 0
  let peak = 0
  const out = await mapBounded(Array.from({ length: 100 }, (_, i) => i), 7, async (i) => {
    inFlight++
    peak = Math.max(peak, inFlight)
    await new Promise((r) => setImmediate(r))
    inFlight--
    return i * 2
  })
  t.same(out, Array.from({ length: 100 }, (_, i) => i * 2), 'results in input order')
  t.equal(peak, 7, 'at most 7 in flight')
})

t.test('listing over HTTPS', async (t) => {
  const root = await tempDir(t)
  await mkdir(join(root, 'Photos'))
  await mkdir(join(root, 'docs'))
  await writeFile(join(root, 'docs', 'plan.md'), '# plan')
  await writeFile(join(root, 'b.txt'), 'bbb')
  await writeFile(join(root, 'A.jpg'), 'jpeg')
  await writeFile(join(root, 'data'), 'x')
  await writeFile(join(root, '.hidden'), 'h')
  await utimes(join(root, 'b.txt'), new Date('2023-01-02T03:04:05.678Z'), new Date('2023-01-02T03:04:05.678Z'))
  const server = await startServer(t, { root })

  const res = await request(server.port, '/api/files')
  t.equal(res.status, 200, 'the root lists')
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8', 'as JSON')
  t.equal(res.headers['x-content-type-options'], 'nosniff', 'with nosniff')
  const listing = res.json() as FileListing
  t.ok(Value.Check(FileListing, listing), 'the reply matches the FileListing schema')
  t.equal(listing.path, '', 'the root path is empty')
  t.same(listing.entries.map((x) => x.name), ['docs', 'Photos', 'A.jpg', 'b.txt', 'data'], 'folders first, then files, by name; dotfiles hidden')
  t.equal(listing.next_cursor, undefined, 'no cursor when everything fits')
  const b = listing.entries.find((x) => x.name === 'b.txt') as FileEntry
  t.same(b, { name: 'b.txt', path: 'b.txt', type: 'file', size: 3, mtime: '2023-01-02T03:04:05.678Z', mime: 'text/plain' }, 'a file entry has every field')
  const docs = listing.entries[0] as FileEntry
  t.same([docs.type, docs.size, docs.mime], ['directory', 0, 'inode/directory'], 'a folder entry')
  t.equal(listing.entries.find((x) => x.name === 'data')?.mime, 'application/octet-stream', 'an unknown type is octet-stream')

  const sub = (await request(server.port, '/api/files/docs')).json() as FileListing
  t.same(sub, { path: 'docs', entries: [{ ...sub.entries[0], name: 'plan.md', path: 'docs/plan.md', type: 'file', size: 6, mime: 'text/markdown' }] }, 'a folder lists with paths from the root')
  const slash = await request(server.port, '/api/files/')
  t.equal(slash.status, 200, '/api/files/ is the root too')

  const file = await request(server.port, '/api/files/b.txt')
  t.equal(file.status, 400, 'listing a file is 400')
  t.equal((file.json() as { error: string }).error, 'not_a_directory', 'not_a_directory')
  t.equal((await request(server.port, '/api/files/nope')).status, 404, 'a missing folder is 404')
  t.equal((await request(server.port, '/api/files/.hidden')).status, 404, 'a hidden name is 404')

  for (const [query, why] of [['limit=0', 'limit 0'], ['limit=10001', 'limit over the maximum'], ['limit=abc', 'a non-numeric limit'], ['limit=1&limit=2', 'a repeated parameter'], ['other=1', 'an unknown parameter'], ['cursor=%21%21', 'a cursor we never gave']] as const) {
    const bad = await request(server.port, `/api/files?${query}`)
    t.equal(bad.status, 400, `${why} is 400`)
    t.equal((bad.json() as { error: string }).error, 'validation_failed', `${why} is validation_failed`)
  }
})

t.test('paging walks a folder exactly once, through changes', async (t) => {
  const root = await tempDir(t)
  for (let i = 0; i < 25; i++) await writeFile(join(root, `f${String(i).padStart(2, '0')}.txt`), String(i))
  for (let i = 0; i < 5; i++) await mkdir(join(root, `d${i}`))
  const server = await startServer(t, { root })
  const first = await request(server.port, '/api/files?limit=10')
  const page1 = first.json() as FileListing
  t.same(page1.entries.map((x) => x.name), ['d0', 'd1', 'd2', 'd3', 'd4', 'f00', 'f01', 'f02', 'f03', 'f04'].map((n) => (n.startsWith('f') ? `${n}.txt` : n)), 'the first page')
  t.ok(page1.next_cursor, 'a next cursor')
  t.equal(first.headers.link, `</api/files?limit=10&cursor=${page1.next_cursor}>; rel="next"`, 'and a Link rel="next"')
  // A file after the cursor appears; one before it vanishes: neither repeats nor skips the rest.
  await writeFile(join(root, 'f10b.txt'), 'new')
  const { rm } = await import('node:fs/promises')
  await rm(join(root, 'f02.txt'))
  const seen = page1.entries.map((x) => x.name)
  let cursor = page1.next_cursor
  while (cursor) {
    const page = (await request(server.port, `/api/files?limit=10&cursor=${cursor}`)).json() as FileListing
    seen.push(...page.entries.map((x) => x.name))
    cursor = page.next_cursor
  }
  t.equal(new Set(seen).size, seen.length, 'no entry twice')
  t.ok(seen.includes('f10b.txt'), 'the new file is found')
  t.equal(seen.length, 31, 'every entry once: 30 original plus the new one')
})

t.test('building an index stats symlinks only', async (t) => {
  const root = await tempDir(t)
  for (let i = 0; i < 50; i++) await writeFile(join(root, `file-${i}`), '')
  await mkdir(join(root, 'sub'))
  await symlink('file-1', join(root, 'link'))
  const fs = countingFs()
  const index = await buildIndex(root, { root: await resolveShareRoot(root), showDotfiles: false, platform: process.platform, concurrency: 4, fs })
  t.equal(index.length, 52, 'all names are indexed')
  t.equal(index.find((x) => x.name === 'link')?.dir, false, 'a symlink is resolved to its kind')
  t.equal(fs.calls.lstat + fs.calls.stat, 2, 'only the symlink was looked at (lstat and stat of its target)')
})

t.test('the index cache follows the folder', async (t) => {
  const root = await tempDir(t)
  await writeFile(join(root, 'a'), '')
  const { stat } = await import('node:fs/promises')
  const cache = new IndexCache(2, 60_000)
  let builds = 0
  const build = async () => {
    builds++
    return [e('a')]
  }
  await cache.get(root, await stat(root), build)
  await cache.get(root, await stat(root), build)
  t.equal(builds, 1, 'an unchanged folder is read once')
  await writeFile(join(root, 'b'), '')
  await cache.get(root, await stat(root), build)
  t.equal(builds, 2, 'adding a file invalidates the index')
  const short = new IndexCache(2, 0)
  await short.get(root, await stat(root), build)
  await short.get(root, await stat(root), build)
  t.equal(builds, 4, 'an expired index is rebuilt')
  const failing = new IndexCache()
  await t.rejects(failing.get(root, await stat(root), async () => Promise.reject(new Error('EACCES'))), /EACCES/, 'a failed build rejects')
  await failing.get(root, await stat(root), build)
  t.equal(builds, 5, 'and is not cached')
})
