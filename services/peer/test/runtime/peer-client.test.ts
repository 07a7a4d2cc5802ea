import t from 'tap'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { downloadFile, PeerHttpError, partFile, partMetaFile, type DownloadProgress } from '../../src/runtime/index.js'
import { makePeer, patternBytes, startTestTracker } from './helper.js'

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex')

const tracker = await startTestTracker(t)
const big = patternBytes(6 * 1024 * 1024, 7)
const binary = Buffer.from([0, 1, 2, 3, 255, 254, 0, 0, 7])
const bob = await makePeer(t, tracker, 'bob@example.com', {
  files: { 'big.bin': big, 'tiny.bin': binary, 'docs/a.txt': 'a', 'docs/b.txt': 'b', 'docs/c.txt': 'c', 'docs/d.txt': 'd', 'docs/e.txt': 'e' },
})
await bob.runtime.start()
// alice visits without running a peer herself: a one-shot client, like the CLI's `ls`, `cat`, `get`.
const alice = await makePeer(t, tracker, 'alice@example.com')
const visitor = alice.runtime

t.test('health names the peer and the address that answered', async (t) => {
  const health = await visitor.health('bob@example.com')
  t.equal(health.status, 'ok', 'ok')
  t.equal(health.email, 'bob@example.com', 'the peer says who it is')
  t.equal(health.fingerprint, (await bob.runtime.identity()).fingerprint, 'with the certificate the connection was pinned to')
  t.equal(health.address, '127.0.0.1', 'reached on loopback')
  t.notOk(visitor.running, 'the visitor runs no server of its own for this')
})

t.test('folders list folders first, and page through next_cursor', async (t) => {
  const root = await visitor.listFolder('bob@example.com', '')
  const names = root.entries.map((e) => e.name)
  t.ok(names.includes('index.md') && names.includes('notes') && names.includes('big.bin'), 'the root shows the shared files')
  const firstFile = root.entries.findIndex((e) => e.type === 'file')
  t.ok(root.entries.slice(0, firstFile).every((e) => e.type === 'directory'), 'folders come first')
  t.match(root.entries.find((e) => e.name === 'big.bin'), { type: 'file', size: big.length, path: 'big.bin' }, 'sizes and paths are given')
  t.same((await visitor.listFolder('bob@example.com', '/notes/')).entries.map((e) => e.path), ['notes/plan.md'], 'a subfolder, whatever the slashes')

  const paged: string[] = []
  let pages = 0
  for await (const page of visitor.listFolderPages('bob@example.com', 'docs', { limit: 2 })) {
    pages++
    t.ok(page.entries.length <= 2, `page ${pages} respects the limit`)
    paged.push(...page.entries.map((e) => e.name))
  }
  t.same(paged, ['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt'], 'every entry once, in order, across pages')
  t.equal(pages, 3, 'five entries by two make three pages')
  await t.rejects(visitor.listFolder('bob@example.com', 'index.md'), { name: 'PeerHttpError', status: 400, code: 'not_a_directory' }, 'a file is not a folder')
  await t.rejects(visitor.listFolder('bob@example.com', '../etc'), { code: 'invalid_path' }, '".." never leaves the visitor')
})

t.test('text files are read; binary and missing ones are refused with the peer’s reason', async (t) => {
  const plan = await visitor.readText('bob@example.com', 'notes/plan.md')
  t.equal(plan.text, '# Plan\n\n1. share\n2. browse\n', 'the text arrives intact')
  t.equal(plan.mime, 'text/markdown', 'markdown is markdown')
  t.equal(plan.size, Buffer.byteLength(plan.text), 'the size is the byte count')
  const notText = await visitor.readText('bob@example.com', 'tiny.bin').catch((e: unknown) => e)
  t.ok(notText instanceof PeerHttpError, 'a binary file is refused')
  t.match(notText, { status: 415, code: 'not_text' }, 'as not_text')
  await t.rejects(visitor.readText('bob@example.com', 'nope.md'), { name: 'PeerHttpError', status: 404 }, 'a missing file is 404')
})

t.test('raw fetches pass Range and conditionals through and stream the answer as is', async (t) => {
  const part = await visitor.fetchRemote('bob@example.com', 'big.bin', { headers: { Range: 'bytes=100-199', Connection: 'close', 'X-Other': '1' } })
  t.equal(part.statusCode, 206, 'a range request is answered 206')
  t.equal(part.headers['content-range'], `bytes 100-199/${big.length}`, 'with its Content-Range')
  const chunks: Buffer[] = []
  for await (const chunk of part.body) chunks.push(chunk as Buffer)
  t.same(Buffer.concat(chunks), big.subarray(100, 200), 'exactly those bytes')
  t.equal(part.headers['accept-ranges'], 'bytes', 'ranges are advertised')
  t.notOk('connection' in part.headers || 'keep-alive' in part.headers, 'hop-by-hop headers are not handed back')

  const head = await visitor.fetchRemote('bob@example.com', 'big.bin', { method: 'HEAD' })
  t.equal(head.headers['content-length'], String(big.length), 'HEAD gives the length')
  head.body.resume()
  const etag = head.headers.etag as string
  const unchanged = await visitor.fetchRemote('bob@example.com', 'big.bin', { headers: { 'if-none-match': etag } })
  t.equal(unchanged.statusCode, 304, 'If-None-Match is passed through')
  unchanged.body.resume()
  const tail = await visitor.fetchRemote('bob@example.com', 'big.bin', { headers: { range: 'bytes=-5' } })
  t.equal(tail.headers['content-range'], `bytes ${big.length - 5}-${big.length - 1}/${big.length}`, 'suffix ranges too (video seeking)')
  tail.body.resume()
})

t.test('a download streams to disk; an existing file is not overwritten without force', async (t) => {
  const dest = join(t.testdir(), 'got', 'big.bin')
  const progress: DownloadProgress[] = []
  const result = await visitor.download('bob@example.com', 'big.bin', dest, { onProgress: (p) => progress.push(p) })
  t.equal(result.bytes, big.length, 'every byte')
  t.equal(sha(readFileSync(dest)), sha(big), 'identical to the original')
  t.equal(result.resumedFrom, 0, 'nothing to resume')
  t.ok(progress.length >= 2, 'progress was reported')
  t.match(progress.at(-1), { received: big.length, total: big.length }, 'ending at the full size')
  t.notOk(existsSync(partFile(dest)) || existsSync(partMetaFile(dest)), 'no part file is left')
  await t.rejects(visitor.download('bob@example.com', 'big.bin', dest), { code: 'file_exists' }, 'a complete file is not overwritten')
  writeFileSync(dest, 'something else')
  await visitor.download('bob@example.com', 'big.bin', dest, { force: true })
  t.equal(sha(readFileSync(dest)), sha(big), 'force replaces it')
})

t.test('a download cancelled half-way resumes with Range + If-Range and gives an identical file', async (t) => {
  const dest = join(t.testdir(), 'big.bin')
  const controller = new AbortController()
  await t.rejects(
    visitor.download('bob@example.com', 'big.bin', dest, {
      signal: controller.signal,
      progressIntervalMs: 0,
      onProgress: (p) => {
        if (p.received >= 1024 * 1024) controller.abort(new Error('user cancelled'))
      },
    }),
    /cancelled|abort/i,
    'the first attempt is cancelled',
  )
  const kept = statSync(partFile(dest)).size
  t.ok(kept > 0 && kept < big.length, `a part file holds what was written before the cancel (${kept} bytes)`)
  t.ok(existsSync(partMetaFile(dest)), 'with its validator beside it')
  t.notOk(existsSync(dest), 'the destination does not exist yet')

  const result = await visitor.download('bob@example.com', 'big.bin', dest)
  t.equal(result.resumedFrom, kept, 'the second attempt asked only for the rest')
  t.equal(sha(readFileSync(dest)), sha(big), 'the file is identical to the original')
  t.notOk(existsSync(partFile(dest)), 'the part file became the file')
})

t.test('a connection cut mid-transfer leaves a resumable part file', async (t) => {
  const dest = join(t.testdir(), 'cut.bin')
  // The network fails after 2 MiB: the body errors like a reset socket would.
  const cut = await downloadFile({
    dest,
    source: { email: 'bob@example.com', path: 'big.bin' },
    open: async (headers, signal) => {
      const response = await visitor.fetchRemote('bob@example.com', 'big.bin', { headers, ...(signal ? { signal } : {}) })
      let seen = 0
      const breaker = new Transform({
        transform(chunk: Buffer, _enc, callback) {
          seen += chunk.length
          if (seen > 2 * 1024 * 1024) callback(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))
          else callback(null, chunk)
        },
      })
      response.body.on('error', () => {})
      return { statusCode: response.statusCode, headers: response.headers, body: response.body.pipe(breaker) }
    },
  }).catch((e: unknown) => e)
  t.match(cut, { code: 'download_interrupted', message: /run it again to resume/ }, 'the interruption is reported as resumable')
  const kept = statSync(partFile(dest)).size
  t.ok(kept > 0 && kept <= 2 * 1024 * 1024, 'what arrived is kept')
  const result = await visitor.download('bob@example.com', 'big.bin', dest)
  t.equal(result.resumedFrom, kept, 'resumed from the cut')
  t.equal(sha(readFileSync(dest)), sha(big), 'identical file')
})

t.test('the part file is final when an interruption is reported (no write lands after it)', async (t) => {
  // A 32 MiB chunk is still being written to the part file when the body fails in the next tick:
  // downloadFile must not answer before that write is over, or a retry started at once would
  // resume from a size that is still growing (seen under load: resumed 64 KiB past the cut).
  const dest = join(t.testdir(), 'racing.bin')
  const chunk = Buffer.alloc(32 * 1024 * 1024, 1)
  const cut = await downloadFile({
    dest,
    source: { email: 'bob@example.com', path: 'racing.bin' },
    open: async () => {
      let sent = false
      const body = new Readable({
        read() {
          // Once the download reads: a little (the part file gets opened), then the big chunk and
          // the failure in the tick after it.
          if (sent) return
          sent = true
          this.push(Buffer.alloc(1024, 1))
          setTimeout(() => {
            this.push(chunk)
            setImmediate(() => this.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })))
          }, 50)
        },
      })
      return { statusCode: 200, headers: { 'content-length': String(2 * chunk.length), etag: '"racing"' }, body }
    },
  }).catch((e: unknown) => e)
  t.match(cut, { code: 'download_interrupted' }, 'the cut is reported as resumable')
  const sizeWhenReported = statSync(partFile(dest)).size
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(statSync(partFile(dest)).size, sizeWhenReported, `the part file did not grow after the report (${sizeWhenReported} bytes)`)
})

t.test('a file that changed between attempts is downloaded again from the start (If-Range)', async (t) => {
  const changing = patternBytes(3 * 1024 * 1024, 11)
  writeFileSync(join(bob.shareDir, 'changing.bin'), changing)
  const dest = join(t.testdir(), 'changing.bin')
  const controller = new AbortController()
  await visitor
    .download('bob@example.com', 'changing.bin', dest, {
      signal: controller.signal,
      progressIntervalMs: 0,
      onProgress: (p) => {
        if (p.received >= 512 * 1024) controller.abort()
      },
    })
    .catch(() => {})
  t.ok(statSync(partFile(dest)).size > 0, 'a part file of the old version exists')
  const updated = patternBytes(2 * 1024 * 1024 + 17, 12)
  writeFileSync(join(bob.shareDir, 'changing.bin'), updated)
  const result = await visitor.download('bob@example.com', 'changing.bin', dest)
  t.equal(result.resumedFrom, 0, 'the stale part was not continued')
  t.equal(sha(readFileSync(dest)), sha(updated), 'the file is the new version, whole')
})
