import t from 'tap'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { type RuntimeEvent, type RuntimeEventOf } from '@flashback/protocol'
import {
  createPeerRuntime,
  exitCodeFor,
  PeerClient,
  PeerConnector,
  PeerHttpError,
  PeerOfflineError,
  Profile,
  RuntimeError,
  TrackerUnreachableError,
  partFile,
} from '../../src/runtime/index.js'
import { type Logger } from '../../src/runtime/logger.js'
import { closedPort, makeIdentity, makePeer, patternBytes, startHttpsServer, startTestTracker, trackerClientFor, waitFor } from './helper.js'

const tracker = await startTestTracker(t)
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex')

function captureLogger(): Logger & { lines: { level: string; obj: object; msg: string | undefined }[] } {
  const lines: { level: string; obj: object; msg: string | undefined }[] = []
  const at = (level: string) => (obj: object | string, msg?: string) => {
    if (typeof obj === 'string') lines.push({ level, obj: {}, msg: obj })
    else lines.push({ level, obj, msg })
  }
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

t.test('start: the server, the broadcast and the events; stop: offline and everything closed', async (t) => {
  const base = t.testdir()
  const share = join(base, 'share')
  await mkdir(share)
  const logger = captureLogger()
  const runtime = await createPeerRuntime({ profileDir: join(base, 'profile'), logger, timing: { backoffBaseMs: 50 } })
  t.teardown(() => runtime.stop())
  t.equal(runtime.configured, false, 'a new profile is not configured')
  t.equal(runtime.status().tracker.state, 'stopped', 'and stopped')
  await t.rejects(runtime.start(), { name: 'ProfileError', field: '/email' }, 'start() names the missing setting')
  await runtime.updateSettings({ email: 'ann@example.com', shareRoot: share, trackerUrl: tracker.url, trackerFingerprint: tracker.fingerprint })
  t.equal(runtime.configured, true, 'configured once e-mail, share and tracker are set')

  const events: RuntimeEvent[] = []
  runtime.events.subscribe((e) => events.push(e))
  const status = await runtime.start()
  t.equal(status.running, true, 'running')
  t.equal(status.tracker.state, 'broadcasting', 'broadcasting once start() resolves')
  t.match(status.server, { addresses: ['127.0.0.1'], access: 'open', bindAll: false }, 'the server listens on loopback with open access')
  t.ok(status.server && status.server.port > 0, 'on a port the OS chose')
  t.equal(status.email, 'ann@example.com', 'the status names the peer')
  t.match(status.fingerprint, /^[0-9a-f]{64}$/, 'and its fingerprint')
  t.equal(statSync(join(base, 'profile', 'identity', 'key.pem')).mode & 0o777, 0o600, 'the identity was created with a private key')
  const order = events.map((e) => e.type).filter((type) => ['server_ready', 'registered', 'broadcasting'].includes(type))
  t.same(order, ['server_ready', 'registered', 'broadcasting'], 'events: server_ready, registered, broadcasting')
  t.ok(events.some((e) => e.type === 'status' && e.status.tracker.state === 'broadcasting'), 'status snapshots follow the changes')
  t.ok(existsSync(join(share, 'index.md')), 'the server wrote its welcome page into the share')

  const ready = logger.lines.find((l) => l.msg === 'peer ready')
  t.match(ready?.obj, { port: status.server?.port, addresses: ['127.0.0.1'], fingerprint: status.fingerprint }, 'a "peer ready" log line with port, addresses and fingerprint')
  t.ok(logger.lines.some((l) => l.msg === 'broadcasting'), 'and a "broadcasting" line once the tracker accepted the ready')
  t.notOk(JSON.stringify(logger.lines).includes('PRIVATE KEY'), 'the key never appears in the logs')

  const viewer = trackerClientFor(t, tracker, await makeIdentity('viewer@example.com'))
  t.match(await viewer.lookup('ann@example.com'), { port: status.server?.port, capabilities: { access: 'open' }, fingerprint: status.fingerprint }, 'the tracker publishes ann with her capabilities')
  t.ok(((await viewer.lookup('ann@example.com'))?.capabilities as { version?: string }).version, 'including the runtime version')

  const mine = await runtime.listMyFiles('')
  t.ok(mine.entries.some((e) => e.name === 'index.md'), 'my own share, as visitors see it, through my own server')
  t.same(await runtime.start(), runtime.status(), 'start() twice is harmless')

  await runtime.stop()
  t.equal(runtime.running, false, 'stopped')
  t.ok(events.some((e) => e.type === 'offline'), 'offline was sent')
  t.equal(events.at(-1)?.type, 'stopped', 'the last event is stopped')
  t.equal(await viewer.lookup('ann@example.com'), undefined, 'ann left the tracker at once')
  await t.rejects(runtime.listMyFiles(''), { code: 'not_running' }, 'my files need the running peer')
})

t.test('requireTracker: an unreachable tracker at first start fails clearly and leaves nothing running', async (t) => {
  const port = await closedPort()
  const peer = await makePeer(t, { url: `https://127.0.0.1:${port}`, fingerprint: tracker.fingerprint }, 'bea@example.com')
  const err = await peer.runtime.start({ requireTracker: true }).catch((e: unknown) => e)
  t.ok(err instanceof TrackerUnreachableError, 'TrackerUnreachableError')
  t.match((err as Error).message, /unreachable/, 'the message says so')
  t.equal(exitCodeFor(err), 2, 'which the CLI turns into exit code 2')
  t.equal(peer.runtime.running, false, 'nothing keeps running')
  const status = await peer.runtime.start()
  t.equal(status.tracker.state, 'retrying', 'without requireTracker the peer runs and retries in the background')
  t.equal(status.running, true, 'its server is up meanwhile')
})

t.test('stop() during a start that waits on a tracker that never answers ends both at once', async (t) => {
  const silentIdentity = await makeIdentity('silent-tracker@example.com')
  const silent = await startHttpsServer(t, silentIdentity, '127.0.0.1')
  silent.server.removeAllListeners('request')
  silent.server.on('request', () => {}) // accepts the request and never answers
  const peer = await makePeer(t, { url: `https://127.0.0.1:${silent.port}`, fingerprint: silentIdentity.fingerprint }, 'ida@example.com', {
    timing: { trackerRequestTimeoutMs: 600_000 },
  })
  const starting = peer.runtime.start()
  await waitFor(() => silent.requests.length > 0 || silent.handshakes > 0, 20_000, 'the register request')
  await peer.runtime.stop()
  const status = await starting
  t.ok(status, 'start() settled')
  t.equal(peer.runtime.running, false, 'and nothing runs')
})

t.test('requireTracker: email_taken fails with its own code', async (t) => {
  await trackerClientFor(t, tracker, await makeIdentity('cy@example.com')).register()
  const peer = await makePeer(t, tracker, 'cy@example.com')
  const err = await peer.runtime.start({ requireTracker: true }).catch((e: unknown) => e)
  t.ok(err instanceof RuntimeError, 'a RuntimeError')
  t.equal((err as RuntimeError).code, 'email_taken', 'email_taken')
  t.match((err as Error).message, /registered with another certificate/, 'explained')
  t.equal(exitCodeFor(err), 3, 'exit code 3 (refused)')
})

t.test('registered access: a registered visitor may browse; a certificate the tracker does not hold may not', async (t) => {
  const host = await makePeer(t, tracker, 'dora@example.com', { access: 'registered' })
  const guest = await makePeer(t, tracker, 'eli@example.com')
  const status = await host.runtime.start()
  await guest.runtime.start()
  const listing = await guest.runtime.listFolder('dora@example.com', '')
  t.ok(listing.entries.length > 0, 'a registered visitor is let in (the server asked the tracker through the runtime)')

  // A stranger that never registered, reaching dora's address directly (no tracker lookup).
  const stranger = await makeIdentity('eli@example.com')
  const profile = await Profile.open(join(t.testdir(), 'stranger'))
  await profile.cacheAddress('dora@example.com', { address: '127.0.0.1', port: status.server?.port as number, fingerprint: status.fingerprint as string })
  const connector = new PeerConnector({ client: stranger, tracker: trackerClientFor(t, tracker, stranger), cache: profile })
  t.teardown(() => connector.close())
  const err = await new PeerClient(connector).listFolder('dora@example.com', '').catch((e: unknown) => e)
  t.ok(err instanceof PeerHttpError, 'refused')
  t.equal((err as PeerHttpError).status, 403, 'with 403: the certificate is not the registered one for that e-mail')
})

t.test('downloads in the background: progress events, cancel keeps the part, resume completes it', async (t) => {
  const data = patternBytes(8 * 1024 * 1024, 3)
  const host = await makePeer(t, tracker, 'fred@example.com', { files: { 'movie.bin': data } })
  const guest = await makePeer(t, tracker, 'gail@example.com', { timing: { downloadProgressIntervalMs: 0 } })
  await host.runtime.start()
  await guest.runtime.updateSettings({ downloadDir: join(guest.profileDir, 'downloads') })

  const events: RuntimeEventOf<'download'>[] = []
  guest.runtime.events.on('download', (e) => events.push(e))
  let cancelled = false
  guest.runtime.events.on('download', (e) => {
    if (!cancelled && e.download.state === 'running' && e.download.received > 1024 * 1024) {
      cancelled = true
      guest.runtime.downloads.cancel(e.download.id)
    }
  })
  const started = await guest.runtime.startDownload({ email: 'fred@example.com', path: 'movie.bin' })
  t.equal(started.state, 'running', 'a download starts running')
  t.equal(started.dest, join(guest.profileDir, 'downloads', 'movie.bin'), 'into the download folder, under its own name')
  const stopped = await guest.runtime.downloads.wait(started.id)
  t.equal(stopped.state, 'cancelled', 'cancelled')
  t.ok(existsSync(partFile(stopped.dest)), 'the part file is kept')
  t.notOk(existsSync(stopped.dest), 'no half file under the final name')

  guest.runtime.downloads.resume(started.id)
  const done = await guest.runtime.downloads.wait(started.id)
  t.equal(done.state, 'completed', 'resumed to completion')
  t.ok(done.resumedFrom > 0, 'from where it stopped')
  t.equal(sha(readFileSync(done.dest)), sha(data), 'the file is identical')
  t.ok(events.some((e) => e.download.state === 'running' && e.download.received > 0 && e.download.total === data.length), 'progress events carry received and total')
  t.equal(events.at(-1)?.download.state, 'completed', 'the last event says completed')

  const second = await guest.runtime.startDownload({ email: 'fred@example.com', path: 'movie.bin' })
  t.equal(second.dest, join(guest.profileDir, 'downloads', 'movie (1).bin'), 'a second copy gets a free name')
  t.equal((await guest.runtime.downloads.wait(second.id)).state, 'completed', 'and completes')
  const missing = await guest.runtime.startDownload({ email: 'fred@example.com', path: 'nope.bin' })
  const failed = await guest.runtime.downloads.wait(missing.id)
  t.equal(failed.state, 'failed', 'a missing file fails')
  t.equal(failed.error?.code, 'not_found', 'with the peer’s reason')
  await t.rejects(guest.runtime.startDownload({ email: 'fred@example.com', path: '' }), { code: 'invalid_path' }, 'the root is not a file')
})

t.test('settings changes apply on restart; visiting someone offline says so', async (t) => {
  const peer = await makePeer(t, tracker, 'hal@example.com')
  await peer.runtime.start()
  const otherShare = join(t.testdir(), 'other-share')
  await mkdir(otherShare)
  await peer.runtime.updateSettings({ shareRoot: otherShare, access: 'friends' })
  t.equal(peer.runtime.status().server?.access, 'open', 'a running peer keeps its settings until restart')
  const status = await peer.runtime.restart()
  t.equal(status.server?.access, 'friends', 'restart applies them')
  t.ok(existsSync(join(otherShare, 'index.md')), 'the new share is served')
  const viewer = trackerClientFor(t, tracker, await makeIdentity('viewer2@example.com'))
  t.match(await viewer.lookup('hal@example.com'), { capabilities: { access: 'friends' } }, 'and announced')
  const err = await peer.runtime.listFolder('nobody@example.com', '').catch((e: unknown) => e)
  t.ok(err instanceof PeerOfflineError, 'visiting someone offline is PeerOfflineError')
  t.equal(exitCodeFor(err), 2, 'exit code 2')
  t.same((await peer.runtime.onlinePeers()).some((p) => p.email === 'hal@example.com'), true, 'the online list includes hal')
})

t.test('exit codes for the CLI', async (t) => {
  const table: [unknown, number][] = [
    [new RuntimeError('invalid_path', 'x'), 1],
    [new PeerHttpError('a@x.org', 403, 'forbidden', 'no'), 3],
    [new PeerHttpError('a@x.org', 404, 'not_found', 'no'), 2],
    [new PeerHttpError('a@x.org', 400, 'not_a_directory', 'no'), 1],
    [new RuntimeError('email_taken', 'x'), 3],
    [new RuntimeError('impostor', 'x'), 3],
    [new RuntimeError('peer_unreachable', 'x'), 2],
    [new TrackerUnreachableError('x'), 2],
    [new Error('boom'), 1],
  ]
  for (const [err, code] of table) t.equal(exitCodeFor(err), code, `${(err as Error).message} (${(err as { code?: string }).code ?? 'no code'}) → ${code}`)
})
