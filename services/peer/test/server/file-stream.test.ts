import t from 'tap'
import { randomBytes } from 'node:crypto'
import { closeSync, openSync } from 'node:fs'
import { open, rm, truncate, writeFile } from 'node:fs/promises'
import { request as httpsRequest } from 'node:https'
import { type IncomingMessage } from 'node:http'
import { type Socket } from 'node:net'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { text } from 'node:stream/consumers'
import { BufferPool, FileChangedError, partsLength, sendFileParts } from '../../src/server/file-stream.js'
import { isClosed, startServer, tempDir } from './helper.js'

t.test('sendFileParts interleaves buffers and file slices, reuses its buffers, closes the descriptor', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'f'), 'abcdefghijklmnopqrstuvwxyz')
  const fd = openSync(join(dir, 'f'), 'r')
  const parts = [Buffer.from('['), { start: 0, end: 2 }, Buffer.from('|'), { start: 10, end: 25 }, Buffer.from(']')]
  t.equal(partsLength(parts), 22, 'partsLength counts buffers and inclusive slices')
  const pool = new BufferPool(4)
  const out = new PassThrough()
  const body = text(out)
  t.equal(await sendFileParts(out, fd, parts, pool, closeSync), undefined, 'the transfer completes')
  t.equal(await body, '[abc|klmnopqrstuvwxyz]', 'chunks smaller than a slice still give the exact bytes in order')
  t.ok(isClosed(fd), 'the descriptor is closed at the end')
  t.ok(pool.idle >= 1 && pool.idle <= 2, `the written buffers went back to the pool (${pool.idle} idle): a transfer reuses a few buffers`)
})

t.test('sendFileParts fails, never hangs, when the file is shorter than promised', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'f'), 'short')
  const fd = openSync(join(dir, 'f'), 'r')
  const out = new PassThrough()
  out.resume()
  out.on('error', () => {}) // destroyed with the error on purpose
  const err = await sendFileParts(out, fd, [{ start: 0, end: 99 }], new BufferPool(16), closeSync)
  t.type(err, FileChangedError, 'reading past the end is a FileChangedError')
  t.ok(out.destroyed, 'the output is destroyed, so the client sees a cut')
  t.ok(isClosed(fd), 'the descriptor is closed after the failure')

  const fd2 = openSync(join(dir, 'f'), 'r')
  const gone = new PassThrough({ highWaterMark: 1 })
  const transfer = sendFileParts(gone, fd2, [Buffer.alloc(64), { start: 0, end: 4 }], new BufferPool(16), closeSync)
  gone.destroy()
  t.ok((await transfer) instanceof Error, 'an output closed early ends the transfer')
  t.ok(isClosed(fd2), 'and closes the descriptor too')
})

t.test('BufferPool keeps a bounded number of equal buffers', async (t) => {
  const pool = new BufferPool(8, 2)
  const a = pool.take()
  const b = pool.take()
  const c = pool.take()
  t.equal(a.length, 8, 'buffers have the pool size')
  for (const x of [a, b, c]) pool.give(x)
  t.equal(pool.idle, 2, 'no more than `keep` are kept')
  pool.give(Buffer.alloc(3))
  t.equal(pool.idle, 2, 'foreign sizes are not taken back')
  t.equal(pool.take(), b, 'a returned buffer is handed out again')
})

interface Outcome {
  status: number
  received: number
  declared: number
  how: 'ended' | 'cut'
}

/** Download `path`, calling `midway` once after the first chunk arrives (with the response paused). */
function download(port: number, path: string, midway: () => Promise<void>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false }, (res) => {
      let received = 0
      let fired = false
      const done = (how: Outcome['how']) => resolve({ status: res.statusCode ?? 0, received, declared: Number(res.headers['content-length']), how })
      res.on('data', (chunk: Buffer) => {
        received += chunk.length
        if (!fired) {
          fired = true
          res.pause()
          midway().then(() => res.resume(), reject)
        }
      })
      res.on('end', () => done(received === Number(res.headers['content-length']) ? 'ended' : 'cut'))
      res.on('aborted', () => done('cut'))
      res.on('error', () => done('cut'))
    })
    req.on('error', () => resolve({ status: 0, received: 0, declared: 0, how: 'cut' }))
    req.end()
  })
}

t.test('a file that shrinks mid-download ends the response with an error', async (t) => {
  const root = await tempDir(t)
  await writeFile(join(root, 'shrinking.bin'), randomBytes(64 * 1024 * 1024))
  const server = await startServer(t, { root })
  const outcome = await download(server.port, '/download/shrinking.bin', () => truncate(join(root, 'shrinking.bin'), 1024 * 1024))
  t.equal(outcome.status, 200, 'the download had started')
  t.equal(outcome.how, 'cut', 'the response is cut, not completed and not hanging')
  t.ok(outcome.received < outcome.declared, `fewer bytes (${outcome.received}) than Content-Length (${outcome.declared}) arrived: the client can tell`)
})

t.test('a file that vanishes mid-download still ends', async (t) => {
  const root = await tempDir(t)
  const data = randomBytes(32 * 1024 * 1024)
  await writeFile(join(root, 'vanishing.bin'), data)
  const server = await startServer(t, { root })
  const outcome = await download(server.port, '/download/vanishing.bin', () => rm(join(root, 'vanishing.bin')))
  t.ok(outcome.how === 'ended' || outcome.how === 'cut', `the response ends (${outcome.how})`)
  if (process.platform !== 'win32') {
    t.equal(outcome.how, 'ended', 'on POSIX the open descriptor keeps the bytes: the download completes')
    t.equal(outcome.received, data.length, 'with every byte')
  }
  const after = await download(server.port, '/download/vanishing.bin', async () => {})
  t.equal(after.status, 404, 'and the next request finds nothing')
})

t.test('a 2 GiB sparse file streams with bounded memory', async (t) => {
  const root = await tempDir(t)
  const size = 2 * 1024 ** 3
  const fh = await open(join(root, 'sparse.bin'), 'w')
  await fh.write('start', 0)
  await fh.write('end', size - 3)
  await fh.close()
  const server = await startServer(t, { root })
  global.gc?.()
  const before = process.memoryUsage().rss
  let peak = before
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
  t.teardown(() => clearInterval(sampler))
  const result = await new Promise<{ received: number; head: string; tail: string }>((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: server.port, path: '/download/sparse.bin', rejectUnauthorized: false, agent: false }, (res) => {
      let received = 0
      let head = ''
      let last: Buffer = Buffer.alloc(0)
      res.on('data', (chunk: Buffer) => {
        if (received === 0) head = chunk.subarray(0, 5).toString()
        received += chunk.length
        last = chunk
      })
      res.on('end', () => resolve({ received, head, tail: last.subarray(last.length - 3).toString() }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
  clearInterval(sampler)
  const growth = peak - before
  t.equal(result.received, size, 'all 2 GiB arrived')
  t.equal(result.head, 'start', 'starting with the first bytes')
  t.equal(result.tail, 'end', 'ending with the last')
  t.ok(growth < 256 * 1024 * 1024, `memory stayed bounded: RSS grew ${(growth / 1024 / 1024).toFixed(1)} MiB while 2048 MiB streamed`)
})

t.test('backpressure: a visitor that stops reading stops the server', async (t) => {
  const root = await tempDir(t)
  const fh = await open(join(root, 'huge.bin'), 'w')
  await fh.truncate(1024 ** 3)
  await fh.close()
  const server = await startServer(t, { root })
  const sockets: Socket[] = []
  server.server.on('connection', (s: Socket) => sockets.push(s))
  const req = httpsRequest({ host: '127.0.0.1', port: server.port, path: '/download/huge.bin', rejectUnauthorized: false, agent: false })
  const res = await new Promise<IncomingMessage>((resolve) => req.on('response', resolve).end())
  res.pause()
  const sent = () => sockets.reduce((n, s) => n + s.bytesWritten, 0)
  // Let the socket buffers fill (however slow the machine), then watch for any further progress.
  let first = sent()
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 200))
    const now = sent()
    if (now === first && now > 0) break
    first = now
  }
  await new Promise((r) => setTimeout(r, 500))
  const second = sent()
  t.equal(second, first, `nothing more is sent while the visitor does not read (${(first / 1024 / 1024).toFixed(1)} MiB in flight)`)
  t.ok(first < 64 * 1024 * 1024, 'and what is in flight is a few socket buffers, not the file')
  req.destroy()
})
