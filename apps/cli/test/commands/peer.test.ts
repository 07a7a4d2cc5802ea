/**
 * `flashback peer` as a real process (from the sources) against a real tracker: the JSON log lines, settings saved
 * in the profile, SIGTERM/SIGINT → offline and exit 0, --web-ui, and the one-line failures: a bad flag (1), an
 * unreachable tracker at start (2), email_taken (3, the 409 path).
 */
import t, { type Test } from 'tap'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { once } from 'node:events'
import { normalizeWebUiFlag } from '../../src/commands/peer.js'
import { buildCliBundle, cli, spawnCli as spawnWith, makeProfile, type SpawnedCli } from '../helpers/cli.js'
import { startTestTracker, writeShare } from '../helpers/peers.js'

const ALICE = 'alice@example.com'

// Real processes run the bundle of the current sources (fast to start; what users run).
const bin = await buildCliBundle(t.testdir())
const spawnCli = (t: Test, argv: string[], env: NodeJS.ProcessEnv = {}): SpawnedCli => spawnWith(t, argv, env, bin)

t.test('--web-ui takes an optional port', async (t) => {
  t.same(normalizeWebUiFlag(['--web-ui']), ['--web-ui=0'], 'alone: any free port')
  t.same(normalizeWebUiFlag(['--web-ui', '8080', '--bind-all']), ['--web-ui=8080', '--bind-all'], 'followed by a number: that port')
  t.same(normalizeWebUiFlag(['--web-ui', '--bind-all']), ['--web-ui=0', '--bind-all'], 'followed by a flag: any free port')
  t.same(normalizeWebUiFlag(['--web-ui=9000']), ['--web-ui=9000'], '--web-ui=PORT as is')
})

t.test('a peer daemon: ready, broadcasting, settings saved, offline on SIGTERM', async (t) => {
  const tracker = await startTestTracker(t)
  const base = t.testdir()
  const share = await writeShare(join(base, 'share'), { 'index.md': '# Alice\n' })
  const profile = join(base, 'alice-profile')
  const first = spawnCli(t, [
    'peer', '--profile', profile, '--share', share, '--email', ALICE,
    '--tracker', tracker.url, '--tracker-fingerprint', tracker.fingerprint.toUpperCase(), '--access', 'open',
  ])
  const ready = await first.line('peer ready')
  t.type(ready.port, 'number', '"peer ready" carries the port')
  t.same(ready.addresses, ['127.0.0.1'], '"peer ready" carries the addresses (loopback by default)')
  t.match(ready.fingerprint, /^[0-9a-f]{64}$/, '"peer ready" carries the fingerprint')
  const broadcasting = await first.line('broadcasting')
  t.equal(broadcasting.port, ready.port, '"broadcasting" once the tracker accepted the ready, with the same port')
  const seen = await tracker.app.inject({ method: 'GET', url: '/health' })
  t.equal(seen.statusCode, 200, 'the tracker is up')

  const config = JSON.parse(await readFile(join(profile, 'config.json'), 'utf8')) as Record<string, unknown>
  t.same(
    { email: config.email, shareRoot: config.shareRoot, trackerUrl: config.trackerUrl, trackerFingerprint: config.trackerFingerprint, access: config.access },
    { email: ALICE, shareRoot: share, trackerUrl: tracker.url, trackerFingerprint: tracker.fingerprint, access: 'open' },
    'the flags are saved in the profile (the fingerprint normalised)',
  )

  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0, 'SIGTERM: exit 0')
  t.ok(first.lines.some((l) => l.msg === 'offline'), 'it told the tracker it left ("offline")')
  t.equal(first.stderr(), '', 'nothing on stderr (not a terminal)')

  // The next run needs only --profile; SIGINT works the same.
  const second = spawnCli(t, ['peer', '--profile', profile])
  const again = await second.line('broadcasting')
  t.same(again.addresses, ['127.0.0.1'], 'a second run with only --profile broadcasts from the saved settings')
  second.child.kill('SIGINT')
  t.equal(await second.exited, 0, 'SIGINT: exit 0')
  t.ok(second.lines.some((l) => l.msg === 'offline'), 'offline on SIGINT too')
})

t.test('--web-ui serves the UI and logs "web ui ready" with its url', async (t) => {
  const tracker = await startTestTracker(t)
  const base = t.testdir()
  const share = await writeShare(join(base, 'share'), { 'a.txt': 'a\n' })
  const uiDir = await writeShare(join(base, 'ui'), { 'index.html': '<!doctype html><title>Flashback</title>' })
  const peer = spawnCli(
    t,
    ['peer', '--profile', join(base, 'p'), '--share', share, '--email', ALICE, '--tracker', tracker.url, '--tracker-fingerprint', tracker.fingerprint, '--web-ui'],
    { FLASHBACK_UI_DIR: uiDir },
  )
  const web = await peer.line('web ui ready')
  t.match(web.url, /^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{16,}$/, 'the url is on loopback and carries a token')
  const page = await fetch(String(web.url))
  t.equal(page.status, 200, 'the url serves the UI')
  t.match(await page.text(), /<title>Flashback<\/title>/, 'the built UI from FLASHBACK_UI_DIR')
  peer.child.kill('SIGTERM')
  t.equal(await peer.exited, 0, 'exit 0 on SIGTERM with the web UI running')

  const missing = spawnCli(
    t,
    ['peer', '--profile', join(base, 'p'), '--web-ui'],
    { FLASHBACK_UI_DIR: join(base, 'not-built') },
  )
  t.equal(await missing.exited, 1, 'an unbuilt UI exits 1')
  t.match(missing.stderr(), /^flashback peer: invalid input: --web-ui: the web UI is not built .*npm run build -w @flashback\/ui/, 'one line saying how to build it')
  t.ok(missing.lines.some((l) => l.msg === 'offline'), 'the peer left the tracker before exiting')
})

t.test('failures at start: one line and the exit code', async (t) => {
  const tracker = await startTestTracker(t)
  const base = t.testdir()
  const share = await writeShare(join(base, 'share'), { 'a.txt': 'a\n' })
  const notADir = join(base, 'file.txt')
  await writeFile(notADir, 'x')
  const common = ['--share', share, '--tracker', tracker.url, '--tracker-fingerprint', tracker.fingerprint]

  const usage: [string[], RegExp, string][] = [
    [['peer', '--profile', join(base, 'u1'), '--colour'], /^flashback peer: usage: Unknown option '--colour'/, 'an unknown flag'],
    [['peer', '--profile', join(base, 'u2'), '--access', 'everyone'], /--access must be open, registered or friends, not "everyone"/, 'a bad --access'],
    [['peer', '--profile', join(base, 'u3'), '--port', '70000'], /--port must be a port number from 0 to 65535/, 'a bad --port'],
    [['peer', '--profile', join(base, 'u4'), '--share', notADir], /--share: .*file\.txt is not a folder/, '--share that is not a folder'],
    [['peer', '--profile', join(base, 'u5'), '--tracker-fingerprint', 'ab', '--tracker-ca', notADir], /give --tracker-fingerprint or --tracker-ca, not both/, 'both ways to trust the tracker'],
    [['peer', '--profile', join(base, 'u6'), ...common], /the profile has no email yet.*\(give --email ADDR\)/, 'no e-mail yet'],
    [['peer', '--profile', join(base, 'u7'), ...common, '--email', 'a@b.c', '--tracker', 'http://127.0.0.1:1'], /trackerUrl must be an https:\/\/ URL/, 'a plain-http tracker'],
    [['peer', '--profile', join(base, 'u8'), ...common, '--email', 'a@b.c', '--bind-all', '--access', 'open'], /"open" is only allowed on loopback/, 'open access on every interface'],
    [['peer', '--profile', join(base, 'u9'), 'extra'], /unexpected argument "extra"/, 'a stray argument'],
  ]
  // Argument checks in process (the same code path; a process each would only be slow).
  for (const [argv, message, what] of usage) {
    const r = await cli(argv)
    t.equal(r.code, 1, `${what}: exit 1`)
    t.match(r.err, message, `${what}: the line says what is wrong`)
    t.equal(r.err.trim().split('\n').length, 1, `${what}: one line`)
  }

  // Nothing listens on this port: the tracker is unreachable at the first start.
  const closed = createServer()
  closed.listen(0, '127.0.0.1')
  await once(closed, 'listening')
  const closedPort = (closed.address() as { port: number }).port
  await new Promise<void>((r) => closed.close(() => r()))
  const unreachable = spawnCli(t, ['peer', '--profile', join(base, 'down'), '--share', share, '--email', 'dan@example.com', '--tracker', `https://127.0.0.1:${closedPort}`, '--tracker-fingerprint', tracker.fingerprint])
  t.equal(await unreachable.exited, 2, 'an unreachable tracker at start: exit 2')
  t.match(unreachable.stderr(), /^flashback peer: unreachable: the tracker at 127\.0\.0\.1:\d+ is unreachable/, 'one line saying "unreachable"')
  t.equal(unreachable.stderr().trim().split('\n').length, 1, 'one line')

  // A tracker whose certificate is not the pinned one is refused, not retried.
  const untrusted = spawnCli(t, ['peer', '--profile', join(base, 'pinned'), '--share', share, '--email', 'erin@example.com', '--tracker', tracker.url, '--tracker-fingerprint', '0'.repeat(64)])
  t.equal(await untrusted.exited, 3, 'a tracker with another certificate than the pinned one: exit 3')
  t.match(untrusted.stderr(), /^flashback peer: refused: the tracker at 127\.0\.0\.1:\d+ is not the one pinned/, 'one line saying "refused" and why')

  // alice@example.com is registered by another identity: 409 email_taken.
  const owner = await makeProfile(base, tracker, ALICE, { shareRoot: share })
  const ownerPeer = spawnCli(t, ['peer', '--profile', owner])
  await ownerPeer.line('broadcasting')
  const taken = spawnCli(t, ['peer', '--profile', join(base, 'impostor'), ...common, '--email', ALICE])
  t.equal(await taken.exited, 3, 'email_taken: exit 3')
  t.match(taken.stderr(), /^flashback peer: refused: email_taken: alice@example\.com is registered with another certificate: choose another e-mail address/, 'one line explaining email_taken')
  ownerPeer.child.kill('SIGTERM')
  t.equal(await ownerPeer.exited, 0, 'the owner stops cleanly')
})
