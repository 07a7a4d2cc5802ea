/**
 * `flashback peer --publish` (a real process) and `flashback search`: a share hashed and published in the
 * background with progress in the log, found by another profile by name and by hash; the matchmaker's
 * observed address in the peer's log; search's input errors and exit codes.
 */
import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startTracker } from '@flashback/tracker'
import { buildCliBundle, cli, makeProfile, spawnCli as spawnWith, type SpawnedCli } from '../helpers/cli.js'
import { writeShare } from '../helpers/peers.js'
import { formatHits } from '../../src/commands/search.js'

const bin = await buildCliBundle(t.testdir())
const spawnCli = (t: Test, argv: string[], env: NodeJS.ProcessEnv = {}): SpawnedCli => spawnWith(t, argv, env, bin)
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

t.test('peer --publish, then search from another profile', async (t) => {
  const tracker = await startTracker({ logger: false, rateLimitPerMin: 0, matchmakerBind: { port: 0 } })
  t.teardown(() => tracker.close())
  const base = t.testdir()
  const song = Buffer.alloc(2 * 1024 * 1024, 9)
  const share = await writeShare(join(base, 'share'), { 'music/Summer Song.mp3': song, 'notes/summer-plan.md': '# plan\n', 'other.txt': 'x' })
  const profile = join(base, 'alice-profile')
  const peer = spawnCli(t, [
    'peer', '--profile', profile, '--share', share, '--email', 'alice@example.com',
    '--tracker', tracker.url, '--tracker-fingerprint', tracker.fingerprint, '--publish',
  ])
  const observed = await peer.line('matchmaker observed address')
  t.equal(observed.observed_ip, '127.0.0.1', 'the peer logs the address the matchmaker observed')
  const hashed = await peer.line('share hashed')
  // The peer server adds a welcome page (index.md) to a share without one: four files.
  t.match(hashed, { files: 4, hashed_now: 4 }, 'the share is hashed in the background and the log says so')
  const inStep = await peer.line('registry in step')
  t.equal(inStep.published, 4, 'and then that the registry is in step')

  const bobProfile = await makeProfile(base, tracker, 'bob@example.com')
  const table = await cli(['search', '--profile', bobProfile, 'summer'])
  t.equal(table.code, 0, 'search exits 0')
  t.match(table.out, /alice@example\.com/, 'the table names the publisher')
  t.match(table.out, /\/music\/Summer Song\.mp3/, 'and the path (case-insensitive match)')
  t.match(table.out, /2 files with a name containing "summer" \(2 on peers online now\)/, 'and sums up')
  const json = await cli(['search', '--profile', bobProfile, '--json', 'SONG'])
  const hits = JSON.parse(json.out) as { email: string; path: string; sha256: string; size: number; online: boolean }[]
  t.same(hits.map((h) => [h.email, h.path, h.sha256, h.size, h.online]), [['alice@example.com', 'music/Summer Song.mp3', sha(song), song.length, true]], '--json gives the hits with the content hash')
  const byHash = await cli(['search', '--profile', bobProfile, '--json', '--sha256', sha('# plan\n').toUpperCase()])
  t.same((JSON.parse(byHash.out) as { path: string }[]).map((h) => h.path), ['notes/summer-plan.md'], '--sha256 finds a file by content')

  const inStepBefore = peer.lines.filter((l) => l.msg === 'registry in step').length
  await writeFile(join(share, 'notes/new-summer-idea.txt'), 'beach')
  await until(() => peer.lines.filter((l) => l.msg === 'registry in step').length > inStepBefore)
  const after = await cli(['search', '--profile', bobProfile, '--json', 'summer-idea'])
  t.same((JSON.parse(after.out) as { path: string }[]).map((h) => h.path), ['notes/new-summer-idea.txt'], 'a new file is published without a restart (the share is watched)')

  peer.child.kill('SIGTERM')
  t.equal(await peer.exited, 0, 'the peer stops cleanly')
  const offline = await cli(['search', '--profile', bobProfile, '--json', 'summer'])
  t.ok((JSON.parse(offline.out) as { online: boolean }[]).every((h) => !h.online), 'after it stops its entries stay, marked offline')

  const restarted = spawnCli(t, ['peer', '--profile', profile, '--publish'])
  t.match(await restarted.line('share hashed'), { files: 5, hashed_now: 0, from_cache: 5 }, 'a restart reuses the hash cache: nothing is hashed again')
  await restarted.line('registry in step')
  restarted.child.kill('SIGINT')
  t.equal(await restarted.exited, 0, 'and stops cleanly again')
})

/** Wait for something the peer process does in the background (a safety net, not a measurement). */
async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 50))
  }
}

t.test('search: input errors and an unreachable tracker', async (t) => {
  const tracker = await startTracker({ logger: false, rateLimitPerMin: 0 })
  const base = t.testdir()
  const profile = await makeProfile(base, tracker, 'carol@example.com')
  const cases: [string[], RegExp][] = [
    [[], /missing NAME/],
    [['x'], /at least 2 characters/],
    [['a', 'b'], /one NAME at a time/],
    [['--sha256', 'abc'], /64 hexadecimal digits/],
    [['name', '--sha256', 'a'.repeat(64)], /not both/],
    [['name', '--limit', '0'], /--limit/],
    [['name', '--frobnicate'], /frobnicate/],
  ]
  for (const [args, message] of cases) {
    const r = await cli(['search', '--profile', profile, ...args])
    t.equal(r.code, 1, `${args.join(' ') || '(nothing)'}: exit 1`)
    t.match(r.err, message, `${args.join(' ') || '(nothing)'}: the error says what is wrong`)
  }
  const none = await cli(['search', '--profile', profile, 'nothing-like-this'])
  t.equal(none.code, 0, 'no hit is not an error')
  t.match(none.out, /No published file has a name containing "nothing-like-this"/, 'and says so')
  await tracker.close()
  const down = await cli(['search', '--profile', profile, 'anything'])
  t.equal(down.code, 2, 'the tracker unreachable: exit 2')
  t.equal(down.err.trim().split('\n').length, 1, 'in one line')
})

t.test('formatHits', async (t) => {
  const hit = { email: 'a@example.com', fingerprint: 'f'.repeat(64), path: 'x/y.bin', name: 'y.bin', sha256: 'e'.repeat(64), size: 1536, online: false }
  const text = formatHits([hit], { sha256: 'e'.repeat(64) })
  t.match(text, /offline\s+a@example\.com\s+\/x\/y\.bin\s+1\.5 KiB\s+eeeeeeeeeeeeeeee…/, 'one row: state, publisher, path, size, short hash')
  t.match(text, /1 file with SHA-256 eeeeeeeeeeeeeeee… \(0 on peers online now\)/, 'and a summary')
})
