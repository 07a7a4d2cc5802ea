/**
 * The open-file cache: files served a moment ago are reused, never past what the full check would say
 * now except for the one documented case (a folder above the file swapped for a symlink while the
 * same inode is still reachable), and never past the TTL. The TTL is driven by an injected clock.
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { readdirSync, readlinkSync } from 'node:fs'
import { chmod, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { Agent } from 'node:https'
import { join } from 'node:path'
import { MetadataFs } from '../../src/server/metadata-fs.js'
import { OpenFileCache } from '../../src/server/open-file-cache.js'
import { isClosed, request, startServer, tempDir, type Tap } from './helper.js'

const SECRET = `TOP-SECRET-${randomBytes(8).toString('hex')}`

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let now = start
  return { now: () => now, advance: (ms: number) => void (now += ms) }
}

/** Descriptors this process has open on `path` (Linux /proc; undefined elsewhere). */
function openDescriptorsOn(path: string): number | undefined {
  if (process.platform !== 'linux') return undefined
  let n = 0
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++
    } catch {
      // closed meanwhile
    }
  }
  return n
}

/** A share next to an "outside" folder, with a server on a manual clock. */
async function setup(t: Tap, ttlMs = 1000) {
  const base = await tempDir(t, 'flashback-ofc-')
  const share = join(base, 'share')
  const outside = join(base, 'outside')
  await mkdir(join(share, 'dir'), { recursive: true })
  await mkdir(outside)
  await writeFile(join(outside, 'f.txt'), SECRET)
  await writeFile(join(share, 'dir', 'f.txt'), 'inside, version one')
  const clock = manualClock()
  const server = await startServer(t, { root: share, openFileCache: { ttlMs, now: clock.now } })
  const agent = new Agent({ keepAlive: true, maxSockets: 4 })
  t.teardown(() => agent.destroy())
  const get = (path: string, headers: Record<string, string> = {}) => request(server.port, path, { agent, headers })
  return { base, share, outside, clock, server, get }
}

t.test('a file replaced by rename between two requests is served new at once: body, size and ETag', async (t) => {
  const { share, get } = await setup(t)
  const first = await get('/download/dir/f.txt')
  t.equal(first.text, 'inside, version one', 'the first request reads the file')
  await writeFile(join(share, 'dir', 'f.new'), 'inside, version two, longer')
  await rename(join(share, 'dir', 'f.new'), join(share, 'dir', 'f.txt'))
  const second = await get('/download/dir/f.txt')
  t.equal(second.text, 'inside, version two, longer', 'the next request, within the TTL, reads the new file')
  t.equal(second.headers['content-length'], String('inside, version two, longer'.length), 'with its size')
  t.not(second.headers.etag, first.headers.etag, 'and a new ETag')
  const stale = await get('/download/dir/f.txt', { 'if-none-match': first.headers.etag as string })
  t.equal(stale.status, 200, 'the old ETag no longer matches')
})

t.test('a file rewritten in place is served with its new size and ETag on the next request', async (t) => {
  const { share, get } = await setup(t)
  const first = await get('/download/dir/f.txt')
  await writeFile(join(share, 'dir', 'f.txt'), 'rewritten in place: the same inode, another size')
  const second = await get('/download/dir/f.txt')
  t.equal(second.text, 'rewritten in place: the same inode, another size', 'the new bytes')
  t.equal(second.headers['content-length'], String(second.body.length), 'Content-Length matches them')
  t.not(second.headers.etag, first.headers.etag, 'a new ETag')
  const range = await get('/download/dir/f.txt', { range: 'bytes=0-9' })
  t.equal(range.status, 206, 'ranges work on the new content')
  t.equal(range.headers['content-range'], `bytes 0-9/${second.body.length}`, 'against the new size')
})

t.test('a deleted file is 404 on the next request', async (t) => {
  const { share, get } = await setup(t)
  t.equal((await get('/download/dir/f.txt')).status, 200, 'served while it exists')
  await rm(join(share, 'dir', 'f.txt'))
  t.equal((await get('/download/dir/f.txt')).status, 404, 'gone at once, well within the TTL')
  t.equal((await get('/content/dir/f.txt')).status, 404, 'on /content too')
})

t.test('a cached file whose name is swapped for an escaping symlink is refused at once', async (t) => {
  const { share, outside, get } = await setup(t)
  t.equal((await get('/download/dir/f.txt')).status, 200, 'served (and cached)')
  await rm(join(share, 'dir', 'f.txt'))
  await symlink(join(outside, 'f.txt'), join(share, 'dir', 'f.txt'))
  const res = await get('/download/dir/f.txt')
  t.equal(res.status, 404, 'the symlink is seen on the next request')
  t.notMatch(res.text, SECRET, 'nothing from outside leaks')
})

t.test('a folder above a cached file swapped for an escaping symlink to other files is refused at once', async (t) => {
  const { share, outside, get } = await setup(t)
  t.equal((await get('/download/dir/f.txt')).status, 200, 'served (and cached)')
  await rename(join(share, 'dir'), join(share, 'old-dir'))
  await symlink(outside, join(share, 'dir'))
  const res = await get('/download/dir/f.txt')
  t.equal(res.status, 404, 'another inode behind the old real path: the full check runs and refuses it')
  t.notMatch(res.text, SECRET, 'nothing from outside leaks')
})

t.test('the documented trade-off: a folder moved out and symlinked back is served for the rest of the TTL, never after', async (t) => {
  const { base, share, clock, get } = await setup(t, 1000)
  const first = await get('/download/dir/f.txt')
  t.equal(first.text, 'inside, version one', 'served (and cached)')
  // The same inode leaves the share with its folder, and the folder's old name now points at it.
  await rename(join(share, 'dir'), join(base, 'moved-out'))
  await symlink(join(base, 'moved-out'), join(share, 'dir'))
  clock.advance(500)
  const within = await get('/download/dir/f.txt')
  t.equal(within.status, 200, 'within the TTL, the very file served a moment ago may still be served')
  t.equal(within.text, 'inside, version one', 'the same bytes, nothing else')
  clock.advance(500)
  const after = await get('/download/dir/f.txt')
  t.equal(after.status, 404, 'once the TTL is over the full check refuses the escaping path')
  clock.advance(100)
  t.equal((await get('/download/dir/f.txt')).status, 404, 'and keeps refusing it')
})

t.test('an entry is trusted for the TTL from its full check, not extended by use', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'f'), 'x')
  const clock = manualClock()
  const fs = new MetadataFs()
  const cache = new OpenFileCache(fs, { ttlMs: 1000, now: clock.now })
  const fd = await fs.open(join(dir, 'f'))
  const added = cache.add('f', join(dir, 'f'), fd, await fs.fstat(fd))
  added.release()
  for (let i = 0; i < 9; i++) {
    clock.advance(100)
    const hit = await cache.get('f')
    t.equal(hit, added, `a hit at ${(i + 1) * 100} ms`)
    hit?.release()
  }
  clock.advance(100)
  t.equal(await cache.get('f'), undefined, 'at 1000 ms the entry is over, however often it was used')
  t.ok(isClosed(fd), 'and its descriptor is closed')
  t.equal(cache.size, 0, 'nothing is left')
})

t.test('descriptors: closed when dropped and unused, kept while a transfer holds them; the LRU is bounded', async (t) => {
  const dir = await tempDir(t)
  for (const name of ['a', 'b', 'c']) await writeFile(join(dir, name), name)
  const clock = manualClock()
  const fs = new MetadataFs()
  const cache = new OpenFileCache(fs, { ttlMs: 1000, max: 2, now: clock.now })
  const open = async (name: string) => {
    const fd = await fs.open(join(dir, name))
    return cache.add(name, join(dir, name), fd, await fs.fstat(fd))
  }
  const a = await open('a')
  const b = await open('b')
  b.release()
  ;(await cache.get('b'))?.release() // b is now the most recently used; a is still held by its "transfer"
  const c = await open('c')
  c.release()
  t.equal(cache.size, 2, 'no more than max entries')
  t.equal(await cache.get('a'), undefined, 'the least recently used (a) was dropped')
  t.notOk(isClosed(a.fd), 'but its descriptor stays open while a transfer holds it')
  a.release()
  t.ok(isClosed(a.fd), 'and closes when that transfer ends')
  t.notOk(isClosed(b.fd) || isClosed(c.fd), 'the kept entries stay open')

  clock.advance(1000)
  cache.sweep()
  t.equal(cache.size, 0, 'a sweep drops what expired')
  t.ok(isClosed(b.fd) && isClosed(c.fd), 'and closes the descriptors nobody holds')
})

t.test('a file made unreadable stops being served at once', { skip: process.getuid?.() === 0 ? 'root reads any file, cached or not' : false }, async (t) => {
  const { share, get } = await setup(t)
  t.equal((await get('/download/dir/f.txt')).status, 200, 'served (and cached)')
  await chmod(join(share, 'dir', 'f.txt'), 0o000)
  t.teardown(() => chmod(join(share, 'dir', 'f.txt'), 0o644))
  t.equal((await get('/download/dir/f.txt')).status, 404, 'the changed inode goes through the full check, which cannot open it')
})

t.test('many concurrent ranges of one cached file each get their exact bytes', async (t) => {
  const base = await tempDir(t)
  const data = randomBytes(1024 * 1024)
  await writeFile(join(base, 'data.bin'), data)
  const server = await startServer(t, { root: base })
  const agent = new Agent({ keepAlive: true, maxSockets: 8 })
  t.teardown(() => agent.destroy())
  const starts = Array.from({ length: 64 }, (_, i) => (i * 37 % 16) * 65536)
  const replies = await Promise.all(starts.map((s) => request(server.port, '/download/data.bin', { agent, headers: { range: `bytes=${s}-${s + 65535}` } })))
  replies.forEach((r, i) => {
    const s = starts[i] as number
    if (r.status !== 206 || !r.body.equals(data.subarray(s, s + 65536))) t.fail(`range at ${s} was wrong (${r.status})`)
  })
  t.ok(replies.every((r) => r.status === 206), '64 ranges over 8 connections, all 206 with the right bytes')
  const big = await request(server.port, '/download/data.bin', { agent, headers: { range: 'bytes=0-' } })
  t.ok(big.body.equals(data), 'a body larger than one read is streamed from the same cached file')
})

t.test('the server closes its cached descriptors when it closes', { skip: process.platform !== 'linux' ? 'counts /proc/self/fd' : false }, async (t) => {
  const base = await tempDir(t)
  await writeFile(join(base, 'f.bin'), 'bytes')
  const server = await startServer(t, { root: base })
  t.equal((await request(server.port, '/download/f.bin')).status, 200, 'served')
  t.equal(openDescriptorsOn(join(base, 'f.bin')), 1, 'the file stays open in the cache for the next request')
  await server.close()
  t.equal(openDescriptorsOn(join(base, 'f.bin')), 0, 'and is closed with the server')
})

t.test('openFileCache: false opens and closes the file per request', { skip: process.platform !== 'linux' ? 'counts /proc/self/fd' : false }, async (t) => {
  const base = await tempDir(t)
  await writeFile(join(base, 'f.bin'), 'bytes')
  const server = await startServer(t, { root: base, openFileCache: false })
  const res = await request(server.port, '/download/f.bin')
  t.equal(res.text, 'bytes', 'served')
  t.equal(openDescriptorsOn(join(base, 'f.bin')), 0, 'and nothing is kept open')
})

t.test('with metadata calls in the thread pool (syncMetadata: false) the cache answers the same', async (t) => {
  const base = await tempDir(t)
  await writeFile(join(base, 'f.txt'), 'one')
  const server = await startServer(t, { root: base, syncMetadata: false })
  const agent = new Agent({ keepAlive: true, maxSockets: 4 })
  t.teardown(() => agent.destroy())
  const replies = await Promise.all(Array.from({ length: 12 }, () => request(server.port, '/download/f.txt', { agent })))
  t.ok(replies.every((r) => r.text === 'one'), 'concurrent requests, some racing the first open, all get the file')
  await writeFile(join(base, 'f.new'), 'two, longer')
  await rename(join(base, 'f.new'), join(base, 'f.txt'))
  t.equal((await request(server.port, '/download/f.txt', { agent })).text, 'two, longer', 'a replaced file is seen at once')
  await rm(join(base, 'f.txt'))
  t.equal((await request(server.port, '/download/f.txt', { agent })).status, 404, 'a deleted one is gone at once')
})
