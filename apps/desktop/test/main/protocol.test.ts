import t from 'tap'
import { Readable } from 'node:stream'
import { electronRemoteFileUrl } from '@flashback/protocol'
import { createRemoteFileHandler, parseRemoteFileUrl, type RemoteFileFetcher, type RemoteFileRequest, type RemoteFileResponse } from '../../src/main/protocol.ts'
import { recordingLogger } from '../fakes.ts'

const FILE = Buffer.from('0123456789'.repeat(100))
const VIDEO_URL = electronRemoteFileUrl('bob@example.com', 'films/holiday trip.mp4')

/** A fetcher that answers like the peer server: Range → 206 or 416, else 200, from FILE. */
function peerLikeFetcher(): { fetcher: RemoteFileFetcher; requests: RemoteFileRequest[]; bodies: Readable[] } {
  const requests: RemoteFileRequest[] = []
  const bodies: Readable[] = []
  const fetcher: RemoteFileFetcher = async (request) => {
    requests.push(request)
    const base = { 'content-type': 'video/mp4', 'accept-ranges': 'bytes', etag: '"abc"', 'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT' }
    const range = request.headers['range']
    const m = range ? /^bytes=(\d+)-(\d*)$/.exec(range) : null
    if (range && m) {
      const start = Number(m[1])
      const end = m[2] ? Math.min(Number(m[2]), FILE.length - 1) : FILE.length - 1
      if (start >= FILE.length) {
        return { statusCode: 416, headers: { ...base, 'content-range': `bytes */${FILE.length}` }, body: Readable.from([]) }
      }
      const body = Readable.from([FILE.subarray(start, end + 1)])
      bodies.push(body)
      return {
        statusCode: 206,
        headers: { ...base, 'content-range': `bytes ${start}-${end}/${FILE.length}`, 'content-length': String(end - start + 1) },
        body: request.method === 'HEAD' ? null : body,
      }
    }
    const body = Readable.from([FILE])
    bodies.push(body)
    return {
      statusCode: 200,
      headers: { ...base, 'content-length': String(FILE.length), 'set-cookie': 'a=b', 'content-security-policy': "default-src *", server: 'peer' },
      body: request.method === 'HEAD' ? null : body,
    }
  }
  return { fetcher, requests, bodies }
}

const get = (url: string, init: RequestInit = {}) => new Request(url, init)

t.test('Range is passed to the peer and 206 comes back with its range headers (video seeking)', async (t) => {
  const { fetcher, requests } = peerLikeFetcher()
  const handler = createRemoteFileHandler(fetcher, { log: recordingLogger() })
  const res = await handler(get(VIDEO_URL, { headers: { range: 'bytes=100-199', 'if-range': '"abc"', cookie: 'x=y', authorization: 'secret' } }))
  t.equal(res.status, 206, 'the peer\'s 206 is forwarded')
  t.equal(res.headers.get('content-range'), `bytes 100-199/${FILE.length}`, 'Content-Range is forwarded')
  t.equal(res.headers.get('content-length'), '100', 'Content-Length is forwarded')
  t.equal(res.headers.get('accept-ranges'), 'bytes', 'Accept-Ranges is forwarded')
  t.equal(res.headers.get('content-type'), 'video/mp4', 'Content-Type is forwarded')
  t.equal(res.headers.get('etag'), '"abc"', 'ETag is forwarded (for If-Range)')
  t.equal(Buffer.from(await res.arrayBuffer()).toString(), FILE.subarray(100, 200).toString(), 'the body is exactly the requested bytes')
  t.equal(requests.length, 1, 'one request to the peer')
  t.same(requests[0]!.headers, { range: 'bytes=100-199', 'if-range': '"abc"' }, 'only Range and If-Range go to the peer (no cookie, no authorization)')
  t.same({ email: requests[0]!.email, path: requests[0]!.path, method: requests[0]!.method }, { email: 'bob@example.com', path: 'films/holiday trip.mp4', method: 'GET' }, 'the peer and the decoded path are the ones of the URL')
})

t.test('416 is forwarded with its Content-Range', async (t) => {
  const { fetcher } = peerLikeFetcher()
  const handler = createRemoteFileHandler(fetcher, { log: recordingLogger() })
  const res = await handler(get(VIDEO_URL, { headers: { range: 'bytes=5000-' } }))
  t.equal(res.status, 416, 'range not satisfiable is forwarded')
  t.equal(res.headers.get('content-range'), `bytes */${FILE.length}`, 'with the total size')
})

t.test('a full answer streams, with our security headers and without the peer\'s others', async (t) => {
  const { fetcher } = peerLikeFetcher()
  const handler = createRemoteFileHandler(fetcher, { log: recordingLogger() })
  const res = await handler(get(VIDEO_URL))
  t.equal(res.status, 200, '200 without Range')
  t.equal(res.headers.get('x-content-type-options'), 'nosniff', 'nosniff is added')
  t.match(res.headers.get('content-security-policy') ?? '', /^sandbox;/, 'our sandboxing CSP replaces the peer\'s')
  t.equal(res.headers.get('set-cookie'), null, 'the peer cannot set cookies')
  t.equal(res.headers.get('server'), null, 'other peer headers are dropped')
  t.equal(res.headers.get('access-control-allow-origin'), 'app://flashback', 'only the app page may read it with fetch()')
  t.ok(res.body, 'the body is a stream')
  t.equal(Buffer.from(await res.arrayBuffer()).length, FILE.length, 'every byte arrives')
})

t.test('HEAD asks the peer with HEAD and answers without a body', async (t) => {
  const { fetcher, requests } = peerLikeFetcher()
  const handler = createRemoteFileHandler(fetcher, { log: recordingLogger() })
  const res = await handler(get(VIDEO_URL, { method: 'HEAD' }))
  t.equal(res.status, 200, 'HEAD is answered')
  t.equal(res.headers.get('content-length'), String(FILE.length), 'with the length')
  t.equal(res.body, null, 'and no body')
  t.equal(requests[0]!.method, 'HEAD', 'the peer got HEAD')
})

t.test('methods other than GET and HEAD are refused without asking the peer', async (t) => {
  const { fetcher, requests } = peerLikeFetcher()
  const handler = createRemoteFileHandler(fetcher, { log: recordingLogger() })
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const res = await handler(get(VIDEO_URL, { method, ...(method === 'POST' || method === 'PUT' || method === 'PATCH' ? { body: 'x' } : {}) }))
    t.equal(res.status, 405, `${method} is 405`)
    t.equal(res.headers.get('allow'), 'GET, HEAD', `${method}: Allow names GET and HEAD`)
  }
  t.equal(requests.length, 0, 'the peer was never asked')
})

t.test('bad paths are refused without asking the peer', async (t) => {
  const { fetcher, requests } = peerLikeFetcher()
  const handler = createRemoteFileHandler(fetcher, { log: recordingLogger() })
  const bad = [
    ['another host', 'flashback://other/bob%40example.com/a.mp4'],
    ['no path', 'flashback://peer/bob%40example.com'],
    ["the peer's root folder", 'flashback://peer/bob%40example.com/'],
    ['not an e-mail', 'flashback://peer/bob/a.mp4'],
    ['an encoded slash in a segment', 'flashback://peer/bob%40example.com/a%2F..%2F..%2Fetc%2Fpasswd'],
    ['an encoded dot-dot segment', 'flashback://peer/bob%40example.com/%2e%2e/secret'],
    ['a backslash', 'flashback://peer/bob%40example.com/a%5Cb'],
    ['a NUL byte', 'flashback://peer/bob%40example.com/a%00b'],
    ['an empty segment', 'flashback://peer/bob%40example.com/a//b'],
    ['broken percent-encoding', 'flashback://peer/bob%40example.com/a%E0%A4%A'],
  ] as const
  for (const [name, url] of bad) {
    t.equal(parseRemoteFileUrl(url), null, `${name}: not a peer file`)
    const res = await handler(get(url))
    t.equal(res.status, 400, `${name}: 400`)
  }
  t.equal(requests.length, 0, 'the peer was never asked for a bad path')
  t.equal(parseRemoteFileUrl('flashback://user:pw@peer/bob%40example.com/a.mp4'), null, 'credentials in the URL: not a peer file')
  t.equal(parseRemoteFileUrl('https://peer/bob%40example.com/a.mp4'), null, 'another scheme: not a peer file')
  t.same(parseRemoteFileUrl('flashback://peer/bob%40example.com/notes/plan%20v2.md'), { email: 'bob@example.com', path: 'notes/plan v2.md' }, 'a good URL decodes once')
  t.same(parseRemoteFileUrl('flashback://peer/bob%40example.com/a/../b.md'), { email: 'bob@example.com', path: 'b.md' }, 'dot segments the URL parser resolves stay inside the share')
  const long = await handler(get(VIDEO_URL, { headers: { range: `bytes=${'0,'.repeat(1000)}0-1` } }))
  t.equal(long.status, 400, 'an absurdly long Range header is refused')
})

t.test("the runtime's failures become HTTP statuses", async (t) => {
  const cases: Array<[unknown, number, string]> = [
    [Object.assign(new Error('bob@example.com is not online'), { code: 'peer_offline' }), 503, 'peer_offline'],
    [Object.assign(new Error('bob@example.com is not reachable'), { code: 'peer_unreachable' }), 502, 'peer_unreachable'],
    [Object.assign(new Error('impostor'), { code: 'impostor' }), 502, 'impostor'],
    [Object.assign(new Error('no'), { code: 'forbidden', status: 403 }), 403, 'forbidden'],
    [Object.assign(new Error('gone'), { code: 'not_found' }), 404, 'not_found'],
    ['weird', 502, 'unreachable'],
  ]
  for (const [thrown, status, code] of cases) {
    const log = recordingLogger()
    const handler = createRemoteFileHandler(async () => {
      throw thrown
    }, { log })
    const res = await handler(get(VIDEO_URL))
    t.equal(res.status, status, `${code}: ${status}`)
    t.equal(res.headers.get('x-flashback-error'), code, `${code}: the code is in X-Flashback-Error`)
    t.equal(res.headers.get('x-content-type-options'), 'nosniff', `${code}: error answers are nosniff too`)
  }
  const odd = createRemoteFileHandler(async () => ({ statusCode: 101, headers: {}, body: Readable.from(['x']) }), { log: recordingLogger() })
  t.equal((await odd(get(VIDEO_URL))).status, 502, 'an unusable status from the peer is a 502')
  const notModified = createRemoteFileHandler(async () => ({ statusCode: 304, headers: { etag: '"abc"' }, body: Readable.from([Buffer.from('x')]) }), { log: recordingLogger() })
  const res304 = await notModified(get(VIDEO_URL))
  t.equal(res304.status, 304, '304 is forwarded')
  t.equal(res304.body, null, '304 has no body')
})

t.test('a cancelled response destroys the stream from the peer', async (t) => {
  let upstream: Readable | undefined
  const handler = createRemoteFileHandler(async (): Promise<RemoteFileResponse> => {
    upstream = new Readable({ read() {} })
    upstream.push(Buffer.alloc(1024))
    return { statusCode: 200, headers: { 'content-type': 'video/mp4' }, body: upstream }
  }, { log: recordingLogger() })
  const res = await handler(get(VIDEO_URL))
  const reader = res.body!.getReader()
  const first = await reader.read()
  t.equal(first.value?.length, 1024, 'bytes flow as the peer sends them')
  await reader.cancel()
  await new Promise((r) => setImmediate(r))
  t.ok(upstream!.destroyed, 'cancelling (the video element seeking elsewhere) closes the peer stream')
})

t.test('a web ReadableStream body is passed through', async (t) => {
  const handler = createRemoteFileHandler(async () => ({
    statusCode: 200,
    headers: { 'content-type': ['image/png'] },
    body: new Blob([new Uint8Array([1, 2, 3])]).stream(),
  }), { log: recordingLogger() })
  const res = await handler(get(electronRemoteFileUrl('bob@example.com', 'p.png')))
  t.same([...new Uint8Array(await res.arrayBuffer())], [1, 2, 3], 'the bytes arrive')
  t.equal(res.headers.get('content-type'), 'image/png', 'an array header value is joined')
})
