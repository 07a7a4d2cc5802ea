/**
 * One tracker, two paths: the same requests, byte for byte, sent to a tracker with the hot lane and
 * to one without it (HOT_LANE=off: everything through Fastify) must get the same answers, byte for
 * byte: status line, every header in the same order and spelling (Date aside), the same body
 * (random ids aside). Both run on one frozen clock, with rate limiting on so that its headers are
 * compared too. This is what keeps the lane and the Fastify routes from drifting apart.
 */
import t from 'tap'
import { startTracker, type RunningTracker } from '../../src/start.js'
import { https, makeIdentity, type TestIdentity } from '../helper.js'
import { json, RawClient, requestBytes, type RawResponse } from './raw-client.js'

const windowStart = Math.floor(Date.now() / 60_000) * 60_000
const now = () => windowStart + 20_000

const alice = await makeIdentity('alice@example.com')
const bob = await makeIdentity('bob@example.com')
const stranger = await makeIdentity('stranger@example.com')

async function start(hotLane: boolean, rateLimitPerMin = 1000): Promise<RunningTracker> {
  const tracker = await startTracker({ logger: false, rateLimitPerMin, hotLane, now })
  t.teardown(() => tracker.close())
  for (const id of [alice, bob]) {
    const res = await https(tracker.url, { path: '/api/relay/register', identity: id, body: { certificate: id.certPem, email: id.email } })
    if (res.status !== 200) throw new Error(`registering ${id.email}: ${res.status}`)
  }
  return tracker
}

const lane = await start(true)
const fastify = await start(false)

const lookup = (email: string) => requestBytes('GET', `/api/relay/broadcast/lookup?email=${encodeURIComponent(email)}`)
const ready = (body: unknown, headers: Record<string, string> = json) => requestBytes('POST', '/api/relay/broadcast/ready', { body: typeof body === 'string' ? body : JSON.stringify(body), headers })
const heartbeat = requestBytes('POST', '/api/relay/broadcast/heartbeat')
const READY = { port: 4443, addresses: ['192.0.2.7', '0.0.0.0', '2001:DB8::7'], capabilities: { preview: true, name: 'Alice’s laptop' } }

/** Scenarios: who connects, and the requests sent (each one a write, answers read in between). */
const scenarios: { name: string; who?: TestIdentity; requests: Buffer[]; pipelined?: boolean }[] = [
  { name: 'a peer announces itself and looks itself up', who: alice, requests: [ready(READY), lookup(alice.email), lookup('ALICE@example.com'), heartbeat, lookup(alice.email)] },
  { name: 'lookups of peers who are not online, or unknown', who: bob, requests: [lookup(alice.email), lookup('nobody@example.com'), heartbeat] },
  { name: 'errors raised by handlers', who: alice, requests: [ready({ port: 1, addresses: ['192.0.2.1', '192.0.2.01'] }), ready({ port: 1, addresses: ['10.0.0.1'], capabilities: { big: 'x'.repeat(5000) } }), ready({ port: 1, addresses: ['::ffff:192.0.2.1', '192.0.2.1'] })] },
  { name: 'no client certificate', requests: [lookup(alice.email), heartbeat] },
  { name: 'an unregistered certificate', who: stranger, requests: [lookup(alice.email), ready(READY)] },
  { name: 'bodies the lane leaves to Fastify', who: alice, requests: [ready('{"port": 1,'), ready(READY, { 'Content-Type': 'text/plain' }), ready({ port: 70000, addresses: ['192.0.2.1'] }), ready('{"constructor":{"prototype":{"x":1}},"port":1,"addresses":["192.0.2.1"]}'), ready('')] },
  { name: 'queries the lane leaves to Fastify', who: alice, requests: [requestBytes('GET', '/api/relay/broadcast/lookup?email=not-an-email'), requestBytes('GET', '/api/relay/broadcast/lookup?email=alice%40example.com&email=bob%40example.com'), requestBytes('GET', '/api/relay/broadcast/lookup'), requestBytes('GET', '/api/relay/broadcast/lookup?email=alice%40example.com&more=1')] },
  { name: 'routes and methods that are not the lane\'s', who: alice, requests: [requestBytes('OPTIONS', '/api/relay/broadcast/lookup?email=alice%40example.com'), requestBytes('GET', '/api/relay/broadcast/lookup/?email=alice%40example.com'), requestBytes('POST', '/api/relay/broadcast/lookup?email=alice%40example.com'), requestBytes('GET', '/api/relay/broadcast/ready'), requestBytes('GET', '/api/relay/status')] },
  { name: 'framing the lane leaves to Node', who: alice, requests: [Buffer.from('POST /api/relay/broadcast/ready HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{"port":1\r\n1b\r\n,"addresses":["192.0.2.9"]}\r\n0\r\n\r\n'), lookup(alice.email)] },
  { name: 'a request Node cannot read', who: alice, requests: [Buffer.from('POST /api/relay/broadcast/ready HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{"port":1\r\nzz\r\n'), lookup(alice.email)] },
  { name: 'Connection: close', who: alice, requests: [requestBytes('GET', '/api/relay/broadcast/lookup?email=alice%40example.com', { headers: { Connection: 'close' } })] },
  { name: 'pipelined: lane, Fastify, lane', who: alice, pipelined: true, requests: [lookup(alice.email), requestBytes('GET', '/api/relay/broadcast/list'), lookup(bob.email), heartbeat] },
]

/** Answers with what legitimately differs between two runs taken out: the Date and random ids. */
function comparable(res: RawResponse): unknown {
  return {
    status: res.status,
    headers: res.rawHeaders.map(([name, value]) => [name, name.toLowerCase() === 'date' ? '<date>' : value]),
    body: res.body.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>'),
  }
}

/**
 * The scenario's answers. Sequential requests share a connection until an answer closes it (both
 * paths close after some refusals); the next request then opens a new one.
 */
async function run(tracker: RunningTracker, scenario: (typeof scenarios)[number]): Promise<unknown[]> {
  let c = await RawClient.connect(tracker.port, scenario.who)
  const answers: unknown[] = []
  try {
    if (scenario.pipelined) {
      await c.write(Buffer.concat(scenario.requests))
      for (let i = 0; i < scenario.requests.length; i++) answers.push(comparable(await c.response()))
    } else {
      for (const request of scenario.requests) {
        await c.write(request)
        const res = await c.response()
        answers.push(comparable(res))
        if (res.headers.connection === 'close') {
          c.destroy()
          c = await RawClient.connect(tracker.port, scenario.who)
        }
      }
    }
  } finally {
    c.destroy()
  }
  return answers
}

for (const scenario of scenarios) {
  t.test(scenario.name, async (t) => {
    const served = lane.app.hotLane!.stats.served
    const withLane = await run(lane, scenario)
    const withoutLane = await run(fastify, scenario)
    t.equal(withLane.length, scenario.requests.length, 'every request was answered')
    t.same(withLane, withoutLane, 'the same answers, byte for byte, with and without the lane')
    t.comment(`answered in the lane: ${lane.app.hotLane!.stats.served - served} of ${scenario.requests.length}`)
  })
}

t.test('running out of rate-limit budget: the same 429s, at the same request', async (t) => {
  const tight = await start(true, 4)
  const tightFastify = await start(false, 4)
  const scenario = { name: 'budget', who: alice, requests: [lookup(alice.email), heartbeat, lookup(bob.email), lookup(alice.email), heartbeat, lookup(alice.email)] }
  const withLane = await run(tight, scenario)
  const withoutLane = await run(tightFastify, scenario)
  t.same(withLane, withoutLane, 'the same answers, headers and refusals with and without the lane')
  t.same((withLane as { status: number }[]).map((a) => a.status), [404, 404, 404, 429, 429, 429], 'the budget (4, one spent on registering) runs out at the fourth request')
  t.ok(tight.app.hotLane!.stats.served >= 6, 'the lane answered them, refusals included')
})

t.test('the scenarios exercise the lane, not only Fastify', async (t) => {
  const stats = lane.app.hotLane!.stats
  t.ok(stats.served >= 12, `the lane answered ${stats.served} of the requests itself`)
  t.ok(stats.handedOff >= 8, `and handed ${stats.handedOff} connections to Fastify`)
})
