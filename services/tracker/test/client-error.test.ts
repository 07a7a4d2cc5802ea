/**
 * Requests Node's parser cannot read still get the tracker's error shape, over real TLS, whether
 * the connection was still in the hot lane or already under Node: malformed framing (400) and a
 * head over Node's size limit (431); the connection is closed after the answer.
 */
import t from 'tap'
import { startTracker } from '../src/start.js'
import { makeIdentity } from './helper.js'
import { RawClient } from './hot-lane/raw-client.js'

const tracker = await startTracker({ logger: false, rateLimitPerMin: 0 })
t.teardown(() => tracker.close())
const alice = await makeIdentity('alice@example.com')

const cases: [string, string | Buffer, number, string][] = [
  ['a request line that is not HTTP', 'GARBAGE\r\n\r\n', 400, 'bad_request'],
  ['a chunked body with a bad chunk size', 'POST /api/relay/broadcast/ready HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400, 'bad_request'],
  ['Content-Length and Transfer-Encoding together (request smuggling)', 'POST /api/relay/broadcast/ready HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'bad_request'],
  ['a head over 16 KiB', `GET /api/relay/broadcast/lookup?email=a%40b.c HTTP/1.1\r\nHost: h\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'header_too_large'],
]

for (const [what, bytes, status, error] of cases) {
  t.test(what, async (t) => {
    const c = await RawClient.connect(tracker.port, alice)
    t.teardown(() => c.destroy())
    await c.write(bytes)
    const res = await c.response()
    t.equal(res.status, status, `answered ${status}`)
    t.equal((res.json() as { error: string }).error, error, `in the error shape, code ${error}`)
    t.equal(res.headers.connection, 'close', 'saying the connection closes')
    await c.closed
    t.pass('and closing it')
  })
}
