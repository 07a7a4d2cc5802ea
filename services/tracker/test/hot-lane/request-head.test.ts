/**
 * parseRequestHead: the strict subset of HTTP/1.1 the hot lane answers itself. Table-driven for what
 * it takes and what it leaves to Node, then differential against Node's own parser (llhttp, through
 * a real node:http server): whatever the lane accepts, Node reads the same way.
 */
import t from 'tap'
import { createServer } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { parseRequestHead, MAX_HEADER_FIELDS } from '../../src/hot-lane/request-head.js'

const LOOKUP = 'GET /api/relay/broadcast/lookup?email=a%40example.com HTTP/1.1'

t.test('heads the lane serves', async (t) => {
  t.same(
    parseRequestHead(`${LOOKUP}\r\nHost: localhost\r\nUser-Agent: x\r\nAccept: */*`),
    { method: 'GET', path: '/api/relay/broadcast/lookup', query: 'email=a%40example.com', contentLength: 0, contentType: undefined, close: false },
    'a lookup: path and query split at the first ?, no body',
  )
  t.same(
    parseRequestHead('POST /api/relay/broadcast/ready HTTP/1.1\r\nhost: h\r\nCONTENT-TYPE: application/json; charset=utf-8\r\nContent-Length: 42'),
    { method: 'POST', path: '/api/relay/broadcast/ready', query: '', contentLength: 42, contentType: 'application/json; charset=utf-8', close: false },
    'a ready: header names in any case, Content-Type kept as sent',
  )
  t.equal(parseRequestHead(`${LOOKUP}\r\nHost: h\r\nConnection: close`)?.close, true, 'Connection: close is noted')
  t.equal(parseRequestHead(`${LOOKUP}\r\nHost: h\r\nConnection: Keep-Alive`)?.close, false, 'Connection: keep-alive is the default')
  t.equal(parseRequestHead(`${LOOKUP}\r\nHost:h\r\nX-Empty:\r\nX-Tab:\tv\t`)?.method, 'GET', 'optional white space around values, empty values')
  t.equal(parseRequestHead(`GET /x? HTTP/1.1\r\nHost: h`)?.query, '', 'an empty query')
  t.equal(parseRequestHead(`GET /x?a=1?b=2 HTTP/1.1\r\nHost: h`)?.query, 'a=1?b=2', 'only the first ? splits')
  const many = Array.from({ length: MAX_HEADER_FIELDS - 1 }, (_, i) => `X-${i}: v`).join('\r\n')
  t.ok(parseRequestHead(`${LOOKUP}\r\nHost: h\r\n${many}`), `${MAX_HEADER_FIELDS} fields are still taken`)
})

t.test('heads left to Node and Fastify', async (t) => {
  const cases: [string, string][] = [
    ['HEAD /x HTTP/1.1\r\nHost: h', 'another method'],
    ['get /x HTTP/1.1\r\nHost: h', 'a method in lower case'],
    ['GET /x HTTP/1.0\r\nHost: h', 'HTTP/1.0'],
    ['GET /x HTTP/1.1 \r\nHost: h', 'a space after the version'],
    ['GET  /x HTTP/1.1\r\nHost: h', 'two spaces'],
    ['GET http://h/x HTTP/1.1\r\nHost: h', 'an absolute-form target'],
    ['GET * HTTP/1.1\r\nHost: h', 'an asterisk-form target'],
    ['GET /a%2Fb HTTP/1.1\r\nHost: h', 'percent-encoding in the path'],
    ['GET /a;b HTTP/1.1\r\nHost: h', 'a path parameter'],
    ['GET /a#b HTTP/1.1\r\nHost: h', 'a fragment'],
    ['GET /a?b#c HTTP/1.1\r\nHost: h', 'a fragment after the query'],
    ['GET /x HTTP/1.1', 'no Host'],
    ['GET /x HTTP/1.1\r\nHost: a\r\nHost: b', 'two Hosts'],
    ['GET /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5', 'a GET with a body'],
    ['POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5', 'Content-Length twice'],
    ['POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: +5', 'a signed Content-Length'],
    ['POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1e3', 'Content-Length in another notation'],
    ['POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 9999999999', 'a Content-Length too large to be ours'],
    ['POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked', 'a transfer coding'],
    ['POST /x HTTP/1.1\r\nHost: h\r\nContent-Type: a\r\nContent-Type: b', 'Content-Type twice'],
    ['GET /x HTTP/1.1\r\nHost: h\r\nConnection: upgrade', 'another Connection option'],
    ['GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\nConnection: close', 'Connection twice'],
    ['GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket', 'an upgrade'],
    ['POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1', 'an expectation'],
    ['GET /x HTTP/1.1\r\nHost: h\r\n folded', 'an obsolete line folding'],
    ['GET /x HTTP/1.1\r\nHost : h', 'white space before the colon'],
    ['GET /x HTTP/1.1\r\nHo(st: h', 'a separator in a field name'],
    ['GET /x HTTP/1.1\r\n: h', 'an empty field name'],
    ['GET /x HTTP/1.1\r\nHost h', 'a line without a colon'],
    ['GET /x HTTP/1.1\r\nHost: h\nX: y', 'a bare LF'],
    ['GET /x HTTP/1.1\r\nHost: h\rX: y', 'a bare CR'],
    ['GET /x HTTP/1.1\r\nHost: h\r\nX: a\u0000b', 'a NUL in a value'],
    ['GET /x HTTP/1.1\r\nHost: h\r\nX: caf\u00e9', 'a byte outside ASCII (obs-text)'],
    ['GET /x HTTP/1.1\r\nHost: h\r\nX: \u007f', 'DEL'],
    ['\r\nGET /x HTTP/1.1\r\nHost: h', 'an empty line first'],
    [`GET /x HTTP/1.1\r\nHost: h\r\n${Array.from({ length: MAX_HEADER_FIELDS }, (_, i) => `X-${i}: v`).join('\r\n')}`, 'too many fields'],
  ]
  for (const [head, why] of cases) t.equal(parseRequestHead(head), undefined, `not ours: ${why}`)
})

/** What Node's HTTP server read from `head` followed by a blank line (and `body`), or its error. */
async function nodeReads(port: number, head: string, body = ''): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(Buffer.from(`${head}\r\n\r\n${body}`, 'latin1')))
    let answer = ''
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')))
    socket.on('close', () => resolve(answer))
    socket.on('error', () => resolve(answer))
  })
}

t.test('differential: what the lane accepts, Node reads identically', async (t) => {
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('latin1')
    req.on('data', (d: string) => (body += d))
    req.on('end', () => {
      res.setHeader('connection', 'close')
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as AddressInfo

  // Valid heads and systematic mutations of them: byte substitutions, duplications and deletions
  // at every position, with characters that matter to HTTP framing.
  const bases = [
    `${LOOKUP}\r\nHost: localhost\r\nUser-Agent: bench\r\nAccept: */*`,
    'POST /api/relay/broadcast/ready HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 2',
    'POST /api/relay/broadcast/heartbeat HTTP/1.1\r\nHost: h\r\nConnection: close',
  ]
  const specials = [' ', '\t', '\r', '\n', ':', '\u0000', '\u007f', '?', '%', '/', 'a', '1', '-', ',', '"']
  const heads = new Set<string>(bases)
  let seed = 7
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  for (const base of bases) {
    for (let i = 0; i < 160; i++) {
      const at = Math.floor(random() * base.length)
      const c = specials[Math.floor(random() * specials.length)] as string
      heads.add(base.slice(0, at) + c + base.slice(at + 1))
      heads.add(base.slice(0, at) + c + base.slice(at))
      heads.add(base.slice(0, at) + base.slice(at + 1))
    }
  }
  let accepted = 0
  for (const head of heads) {
    const lane = parseRequestHead(head)
    if (!lane) continue
    accepted++
    const body = 'x'.repeat(lane.contentLength)
    const answer = await nodeReads(port, head, body)
    const json = answer.slice(answer.indexOf('\r\n\r\n') + 4)
    if (!answer.startsWith('HTTP/1.1 200')) {
      t.fail(`Node refused a head the lane accepts: ${JSON.stringify(head)} → ${answer.split('\r\n')[0]}`)
      continue
    }
    const node = JSON.parse(json) as { method: string; url: string; headers: Record<string, string>; body: string }
    const mark = node.url.indexOf('?')
    const [path, query] = mark === -1 ? [node.url, ''] : [node.url.slice(0, mark), node.url.slice(mark + 1)]
    if (node.method !== lane.method || path !== lane.path || query !== lane.query || node.body !== body) {
      t.fail(`read differently: ${JSON.stringify(head)}: node ${node.method} ${node.url} (${node.body.length} body bytes)`)
    }
    if ((node.headers['content-type'] ?? undefined) !== lane.contentType) t.fail(`Content-Type read differently: ${JSON.stringify(head)}`)
    if ((node.headers.connection?.toLowerCase() === 'close') !== lane.close) t.fail(`Connection read differently: ${JSON.stringify(head)}`)
  }
  t.ok(accepted >= 20, `the lane accepted ${accepted} of ${heads.size} heads (valid ones and harmless mutations); Node read every one the same way`)
  t.ok(accepted < heads.size / 2, 'and left most mutations to Node')
})
