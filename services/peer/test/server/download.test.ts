import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdir, utimes, writeFile } from 'node:fs/promises'
import { Agent } from 'node:https'
import { join } from 'node:path'
import { parseMultipart, request, startServer, tempDir, type Tap } from './helper.js'

const data = randomBytes(10_000)

async function setup(t: Tap) {
  const root = await tempDir(t)
  await writeFile(join(root, 'data.bin'), data)
  await writeFile(join(root, 'page.html'), '<script>alert(1)</script>')
  await writeFile(join(root, 'empty.txt'), '')
  await writeFile(join(root, 'résumé 2024.pdf'), 'pdf')
  await mkdir(join(root, 'folder'))
  await utimes(join(root, 'data.bin'), new Date('2024-05-06T07:08:09Z'), new Date('2024-05-06T07:08:09Z'))
  const server = await startServer(t, { root })
  return { root, port: server.port }
}

t.test('a whole download carries every header the issue names', async (t) => {
  const { port } = await setup(t)
  const res = await request(port, '/download/data.bin')
  t.equal(res.status, 200, 'a plain GET is 200')
  t.ok(res.body.equals(data), 'the body is the file, byte for byte')
  t.equal(res.headers['content-length'], String(data.length), 'Content-Length is the size')
  t.equal(res.headers['accept-ranges'], 'bytes', 'ranges are advertised')
  t.match(res.headers.etag, /^"[0-9a-f]+-[0-9a-f]+"$/, 'a strong ETag is sent')
  t.equal(res.headers['last-modified'], 'Mon, 06 May 2024 07:08:09 GMT', 'Last-Modified is the file mtime')
  t.equal(res.headers['content-type'], 'application/octet-stream', 'Content-Type by extension')
  t.equal(res.headers['content-disposition'], 'attachment; filename="data.bin"', 'an attachment with its name')
  t.equal(res.headers['x-content-type-options'], 'nosniff', 'nosniff')
  t.equal(res.headers['content-security-policy'], 'sandbox', 'file responses are sandboxed')
})

t.test('HEAD gives the headers and no body', async (t) => {
  const { port } = await setup(t)
  const res = await request(port, '/download/data.bin', { method: 'HEAD' })
  t.equal(res.status, 200, 'HEAD is 200')
  t.equal(res.body.length, 0, 'no body')
  t.equal(res.headers['content-length'], String(data.length), 'Content-Length still tells the size')
  const ranged = await request(port, '/download/data.bin', { method: 'HEAD', headers: { range: 'bytes=0-9' } })
  t.equal(ranged.status, 206, 'HEAD with a range is 206')
  t.equal(ranged.headers['content-range'], `bytes 0-9/${data.length}`, 'with its Content-Range')
})

t.test('non-ASCII names get an RFC 5987 filename*', async (t) => {
  const { port } = await setup(t)
  const res = await request(port, `/download/${encodeURIComponent('résumé 2024.pdf')}`)
  t.equal(res.status, 200, 'the file is found by its encoded name')
  t.equal(res.headers['content-disposition'], `attachment; filename="r?sum? 2024.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%202024.pdf`, 'an ASCII fallback and the UTF-8 filename*')
  t.equal(res.headers['content-type'], 'application/pdf', 'Content-Type by extension')
})

t.test('a shared HTML file cannot run script', async (t) => {
  const { port } = await setup(t)
  const res = await request(port, '/download/page.html')
  t.equal(res.headers['content-security-policy'], 'sandbox', 'CSP sandbox on HTML')
  t.match(res.headers['content-disposition'], /^attachment/, 'and it is an attachment')
})

t.test('single ranges', async (t) => {
  const { port } = await setup(t)
  const cases: [string, number, number][] = [
    ['bytes=0-99', 0, 99],
    ['bytes=9000-', 9000, 9999],
    ['bytes=-500', 9500, 9999],
    ['bytes=9990-20000', 9990, 9999],
    ['bytes=0-', 0, 9999],
  ]
  for (const [range, start, end] of cases) {
    const res = await request(port, '/download/data.bin', { headers: { range } })
    t.equal(res.status, 206, `${range} is 206`)
    t.equal(res.headers['content-range'], `bytes ${start}-${end}/${data.length}`, `${range} has its Content-Range`)
    t.equal(res.headers['content-length'], String(end - start + 1), `${range} has its length`)
    t.ok(res.body.equals(data.subarray(start, end + 1)), `${range} sends exactly those bytes`)
  }
})

t.test('several ranges come as multipart/byteranges', async (t) => {
  const { port } = await setup(t)
  const res = await request(port, '/download/data.bin', { headers: { range: 'bytes=0-9, 100-199,-5' } })
  t.equal(res.status, 206, 'several ranges are 206')
  const type = res.headers['content-type'] ?? ''
  t.match(type, /^multipart\/byteranges; boundary=\S+$/, 'multipart/byteranges with a boundary')
  t.equal(res.headers['content-length'], String(res.body.length), 'Content-Length announced the whole multipart body')
  const parts = parseMultipart(res.body, type)
  t.equal(parts.length, 3, 'three parts')
  const expected: [number, number][] = [[0, 9], [100, 199], [9995, 9999]]
  parts.forEach((part, i) => {
    const [start, end] = expected[i] as [number, number]
    t.equal(part.headers['content-range'], `bytes ${start}-${end}/${data.length}`, `part ${i} names its range`)
    t.equal(part.headers['content-type'], 'application/octet-stream', `part ${i} names the file type`)
    t.ok(part.data.equals(data.subarray(start, end + 1)), `part ${i} holds those bytes`)
  })
  t.ok(res.body.toString('latin1').endsWith('--\r\n'), 'the body ends with the closing delimiter')
})

t.test('unsatisfiable and invalid ranges', async (t) => {
  const { port } = await setup(t)
  const bad = await request(port, '/download/data.bin', { headers: { range: 'bytes=20000-' } })
  t.equal(bad.status, 416, 'a range past the end is 416')
  t.equal(bad.headers['content-range'], `bytes */${data.length}`, '416 names the size')
  t.equal((bad.json() as { error: string }).error, 'range_not_satisfiable', 'with a JSON error body')
  for (const range of ['bytes=abc', 'bytes=5-2', 'pages=1-2', 'bytes=0-9999,0-9999']) {
    const res = await request(port, '/download/data.bin', { headers: { range } })
    t.equal(res.status, 200, `${range} is ignored: 200`)
    t.equal(res.body.length, data.length, `${range} sends the whole file`)
  }
  const empty = await request(port, '/download/empty.txt', { headers: { range: 'bytes=0-' } })
  t.equal(empty.status, 200, 'an empty file ignores its range')
  t.equal(empty.body.length, 0, 'and has no body')
})

t.test('conditional requests', async (t) => {
  const { port } = await setup(t)
  const first = await request(port, '/download/data.bin')
  const etag = first.headers.etag as string
  const lastModified = first.headers['last-modified'] as string

  const inm = await request(port, '/download/data.bin', { headers: { 'if-none-match': etag } })
  t.equal(inm.status, 304, 'If-None-Match with the ETag is 304')
  t.equal(inm.body.length, 0, '304 has no body')
  t.equal(inm.headers.etag, etag, '304 repeats the ETag')
  t.equal(inm.headers['x-content-type-options'], 'nosniff', '304 carries nosniff too')

  const ims = await request(port, '/download/data.bin', { headers: { 'if-modified-since': lastModified } })
  t.equal(ims.status, 304, 'If-Modified-Since at Last-Modified is 304')
  const older = await request(port, '/download/data.bin', { headers: { 'if-modified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' } })
  t.equal(older.status, 200, 'If-Modified-Since before the change is 200')

  const im = await request(port, '/download/data.bin', { headers: { 'if-match': '"stale"' } })
  t.equal(im.status, 412, 'If-Match mismatch is 412')
  t.equal((im.json() as { error: string }).error, 'precondition_failed', 'with a JSON error')
  const imOk = await request(port, '/download/data.bin', { headers: { 'if-match': etag, range: 'bytes=0-0' } })
  t.equal(imOk.status, 206, 'If-Match matching lets a range through')
  const ius = await request(port, '/download/data.bin', { headers: { 'if-unmodified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' } })
  t.equal(ius.status, 412, 'If-Unmodified-Since before the change is 412')
  const inmRange = await request(port, '/download/data.bin', { headers: { 'if-none-match': etag, range: 'bytes=0-0' } })
  t.equal(inmRange.status, 304, 'If-None-Match wins over Range')

  const ifRangeTag = await request(port, '/download/data.bin', { headers: { 'if-range': etag, range: 'bytes=0-9' } })
  t.equal(ifRangeTag.status, 206, 'If-Range with the current ETag honours the range')
  const ifRangeDate = await request(port, '/download/data.bin', { headers: { 'if-range': lastModified, range: 'bytes=0-9' } })
  t.equal(ifRangeDate.status, 206, 'If-Range with Last-Modified honours the range')
  const ifRangeOld = await request(port, '/download/data.bin', { headers: { 'if-range': '"stale"', range: 'bytes=0-9' } })
  t.equal(ifRangeOld.status, 200, 'If-Range with another ETag sends the whole file')
  t.equal(ifRangeOld.body.length, data.length, 'all of it')
  const ifRangeWeak = await request(port, '/download/data.bin', { headers: { 'if-range': `W/${etag}`, range: 'bytes=0-9' } })
  t.equal(ifRangeWeak.status, 200, 'If-Range with a weak ETag sends the whole file')
  const ifRangeOldDate = await request(port, '/download/data.bin', { headers: { 'if-range': 'Mon, 01 Jan 2001 00:00:00 GMT', range: 'bytes=0-9' } })
  t.equal(ifRangeOldDate.status, 200, 'If-Range with another date sends the whole file')
})

t.test('a changed file gets a new ETag', async (t) => {
  const { root, port } = await setup(t)
  const before = await request(port, '/download/data.bin', { method: 'HEAD' })
  await writeFile(join(root, 'data.bin'), randomBytes(10_000))
  const after = await request(port, '/download/data.bin', { method: 'HEAD' })
  t.not(after.headers.etag, before.headers.etag, 'rewriting the file changes its ETag')
  const stale = await request(port, '/download/data.bin', { headers: { 'if-range': before.headers.etag as string, range: 'bytes=0-9' } })
  t.equal(stale.status, 200, 'a resume against the old ETag gets the whole new file')
})

t.test('folders, missing files and methods', async (t) => {
  const { port } = await setup(t)
  const folder = await request(port, '/download/folder')
  t.equal(folder.status, 400, 'downloading a folder is 400')
  t.equal((folder.json() as { error: string }).error, 'not_a_file', 'not_a_file')
  const root = await request(port, '/download/')
  t.equal(root.status, 400, 'downloading the root is 400')
  const missing = await request(port, '/download/nope.bin')
  t.equal(missing.status, 404, 'a missing file is 404')
  t.same(Object.keys(missing.json() as object).sort(), ['error', 'message'], 'errors are { error, message }')
  const post = await request(port, '/download/data.bin', { method: 'POST' })
  t.equal(post.status, 405, 'POST is 405')
  t.equal(post.headers.allow, 'GET, HEAD', 'with Allow')
  const unknown = await request(port, '/nothing-here')
  t.equal(unknown.status, 404, 'an unknown route is 404')
  t.equal(unknown.headers['x-content-type-options'], 'nosniff', 'errors carry nosniff')
})

t.test('many range requests over one keep-alive connection', async (t) => {
  const { port } = await setup(t)
  const agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false })
  t.teardown(() => agent.destroy())
  const sockets = new Set<unknown>()
  agent.on('free', (socket) => sockets.add(socket))
  for (let i = 0; i < 50; i++) {
    const start = (i * 197) % 9000
    const res = await request(port, '/download/data.bin', { agent, headers: { range: `bytes=${start}-${start + 99}` } })
    if (res.status !== 206 || !res.body.equals(data.subarray(start, start + 100))) t.fail(`request ${i} got the wrong bytes`)
  }
  t.equal(sockets.size, 1, '50 range requests shared one connection')
})
