// The load generator's HTTP/1.1 parser: framing must be right or every count in the tables is wrong.
import t from 'tap'
import { ResponseParser } from '../loadgen/response-parser.mjs'

function collect(opts) {
  const got = []
  const p = new ResponseParser((r) => got.push(r), opts)
  return { p, got }
}

const feedBytewise = (p, text) => {
  for (const b of Buffer.from(text, 'latin1')) {
    const err = p.push(Buffer.from([b]))
    if (err) throw err
  }
}

t.test('Content-Length bodies, whole and split at every byte', async (t) => {
  const text = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\nno'
  const a = collect({ keepBody: true })
  t.equal(a.p.push(Buffer.from(text)), undefined, 'a well-formed stream parses without error')
  t.same(a.got.map((r) => [r.status, r.body.toString()]), [[200, 'hello'], [404, 'no']], 'two pipelined answers come out in order with their bodies')
  const b = collect({ keepBody: true })
  feedBytewise(b.p, text)
  t.same(b.got.map((r) => [r.status, r.body.toString()]), [[200, 'hello'], [404, 'no']], 'the same answers parse when every byte arrives alone')
})

t.test('chunked bodies with extensions and trailers', async (t) => {
  const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n'
  const a = collect({ keepBody: true })
  feedBytewise(a.p, text)
  t.equal(a.got.length, 1, 'one response')
  t.equal(a.got[0].body.toString(), 'hello world', 'chunks are joined without their framing')
  t.equal(a.got[0].bodyBytes, 11, 'body bytes count only the payload')
})

t.test('answers without a body and bodies framed by the connection end', async (t) => {
  const a = collect()
  a.p.push(Buffer.from('HTTP/1.1 204 No Content\r\nReannounce-After: 3300\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n'))
  t.same(a.got.map((r) => r.status), [204, 304], '204 and 304 end at their head, whatever Content-Length says')
  const b = collect({ keepBody: true })
  b.p.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npartial'))
  t.equal(b.got.length, 0, 'a body without length is not complete before the connection ends')
  t.equal(b.p.end(), undefined, 'the end of the connection completes it')
  t.equal(b.got[0].body.toString(), 'partial', 'and the body is what came before the end')
  t.equal(b.got[0].close, true, 'such an answer closes the connection')
})

t.test('Connection: close, truncation and garbage are reported', async (t) => {
  const a = collect()
  a.p.push(Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'))
  t.equal(a.got[0].close, true, 'Connection: close is seen')
  const b = collect()
  b.p.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'))
  t.ok(b.p.busy, 'a half-received body keeps the parser busy')
  t.ok(b.p.end() instanceof Error, 'a connection ending mid-body is an error')
  const c = collect()
  t.ok(c.p.push(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')) instanceof Error, 'something that is not HTTP is an error')
})

t.test('bytes fed from one reused read buffer (the engine reads with onread into a fixed buffer)', async (t) => {
  // The engine hands the parser views of one buffer that the next read overwrites: whatever the
  // parser keeps between pushes (a partial head, body parts) must be its own copy.
  const text = 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Pad: abcdef\r\n\r\nhello world'
  const bytes = Buffer.from(text, 'latin1')
  const readBuffer = Buffer.alloc(8)
  const a = collect({ keepBody: true })
  for (let at = 0; at < bytes.length; at += readBuffer.length) {
    const n = bytes.copy(readBuffer, 0, at, at + readBuffer.length)
    t.equal(a.p.push(readBuffer.subarray(0, n)), undefined, `read at ${at} parses`)
    readBuffer.fill(0x7e) // the next read overwrites the buffer
  }
  t.equal(a.got.length, 1, 'one response out of reads of 8 bytes')
  t.equal(a.got[0].status, 200, 'a head split over several reads is read from the parser’s own copy')
  t.equal(a.got[0].body.toString(), 'hello world', 'the body is intact after the buffer it came in was overwritten')
})
