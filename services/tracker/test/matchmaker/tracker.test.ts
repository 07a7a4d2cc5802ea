/**
 * The matchmaker inside a running tracker: a token fetched over mutual TLS opens the UDP side;
 * the matchmaker starts and stops with the tracker; off (or unable to bind) means no tokens.
 */
import t from 'tap'
import { createSocket } from 'node:dgram'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { startTracker } from '../../src/start.js'
import { https, makeIdentity, type TestIdentity } from '../helper.js'
import { UdpClient } from './helper.js'

const alice = await makeIdentity('alice@example.com')
const bob = await makeIdentity('bob@example.com')
const stranger = await makeIdentity('stranger@example.com')

async function registerOverTls(url: string, id: TestIdentity) {
  const res = await https(url, { path: '/api/relay/register', identity: id, body: { certificate: id.certPem, email: id.email } })
  if (res.status !== 200) throw new Error(`register ${id.email}: ${res.status} ${res.body}`)
}

t.test('token over TLS, then register and connect over UDP', async (t) => {
  const tracker = await startTracker({ logger: false, rateLimitPerMin: 0, matchmakerTokenTtlS: 120, matchmakerBind: { port: 0 } })
  t.teardown(() => tracker.close())
  t.ok(tracker.matchmaker, 'the matchmaker runs')
  const port = tracker.matchmaker?.port as number
  t.equal(tracker.config.matchmakerPort, port, 'the running config reports the bound port')
  await registerOverTls(tracker.url, alice)
  await registerOverTls(tracker.url, bob)

  const issued = await https(tracker.url, { path: '/api/relay/matchmaker/token', identity: alice, method: 'POST' })
  t.equal(issued.status, 200, 'a registered peer gets a token')
  const body = issued.json() as { token: string; expires_in: number; port: number }
  t.same(Object.keys(body).sort(), ['expires_in', 'port', 'token'], 'token, expires_in and port')
  t.equal(body.expires_in, 120, 'expires_in is MATCHMAKER_TOKEN_TTL_S')
  t.equal(body.port, port, 'port is where the matchmaker listens')
  t.equal((await https(tracker.url, { path: '/api/relay/matchmaker/token', method: 'POST' })).status, 401, 'no certificate: 401')
  const refused = await https(tracker.url, { path: '/api/relay/matchmaker/token', identity: stranger, method: 'POST' })
  t.equal(refused.status, 403, 'an unregistered certificate: 403')
  t.equal((refused.json() as { error: string }).error, 'not_registered', 'with not_registered')

  const bobToken = ((await https(tracker.url, { path: '/api/relay/matchmaker/token', identity: bob, method: 'POST' })).json() as { token: string }).token
  const a = await UdpClient.open()
  const b = await UdpClient.open()
  t.teardown(() => Promise.all([a.close(), b.close()]))
  await a.send({ type: 'register', token: body.token }, port)
  t.same((await a.next()).json, { type: 'registered', observed: { ip: '127.0.0.1', port: a.port } }, 'alice registers with her token')
  await b.send({ type: 'register', token: bobToken }, port)
  await b.next()
  await b.send({ type: 'connect', token: bobToken, target: alice.email }, port)
  const [toB, toA] = await Promise.all([b.next(), a.next()])
  t.same(toB.json, { type: 'peer', email: alice.email, observed: { ip: '127.0.0.1', port: a.port } }, 'bob learns alice\'s address')
  t.same(toA.json, { type: 'peer', email: bob.email, observed: { ip: '127.0.0.1', port: b.port } }, 'alice learns bob\'s at the same moment')
  t.equal(tracker.matchmaker?.stats().registrations, 2, 'two registrations')

  const again = await https(tracker.url, { path: '/api/relay/matchmaker/token', identity: alice, method: 'POST' })
  t.equal(again.status, 200, 'a token can be fetched again before the old one lapses (the client refreshes it)')

  await tracker.close()
  const probe = createSocket('udp4')
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject)
    probe.bind(port, '127.0.0.1', () => resolve())
  })
  t.pass('after close the UDP port is free again (the matchmaker stopped with the tracker)')
  await new Promise<void>((resolve) => probe.close(() => resolve()))
})

t.test('the key survives a restart on the same database', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'fb-mm-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const first = await startTracker({ logger: false, dataDir, matchmakerBind: { port: 0 } })
  await registerOverTls(first.url, alice)
  const token = ((await https(first.url, { path: '/api/relay/matchmaker/token', identity: alice, method: 'POST' })).json() as { token: string }).token
  await first.close()
  const second = await startTracker({ logger: false, dataDir, matchmakerBind: { port: 0 } })
  t.teardown(() => second.close())
  const c = await UdpClient.open()
  t.teardown(() => c.close())
  await c.send({ type: 'register', token }, second.matchmaker?.port as number)
  t.equal((await c.next()).json.type, 'registered', 'a token issued before a restart is still accepted (the key lives in the store)')
})

t.test('matchmaker off: no UDP listener, tokens answer 404', async (t) => {
  const tracker = await startTracker({ logger: false })
  t.teardown(() => tracker.close())
  t.equal(tracker.matchmaker, undefined, 'an in-process tracker runs no matchmaker unless asked')
  await registerOverTls(tracker.url, alice)
  const res = await https(tracker.url, { path: '/api/relay/matchmaker/token', identity: alice, method: 'POST' })
  t.equal(res.status, 404, 'the token route answers 404')
  t.equal((res.json() as { error: string }).error, 'matchmaker_disabled', 'with matchmaker_disabled')
})

t.test('a UDP port in use: the tracker runs without the matchmaker and says so', async (t) => {
  const holder = createSocket('udp4')
  await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', () => resolve()))
  t.teardown(() => new Promise<void>((resolve) => holder.close(() => resolve())))
  const lines: { level: number; msg: string; port?: number }[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
  const tracker = await startTracker({ logger, matchmakerPort: holder.address().port })
  t.teardown(() => tracker.close())
  t.equal(tracker.matchmaker, undefined, 'no matchmaker')
  const error = lines.find((l) => l.level >= 50 && /matchmaker could not listen/.test(l.msg))
  t.ok(error, 'an error line says the matchmaker could not listen')
  t.equal(error?.port, holder.address().port, 'naming the port')
  t.ok(lines.some((l) => l.msg === 'tracker listening'), 'and the tracker itself is up')
})
