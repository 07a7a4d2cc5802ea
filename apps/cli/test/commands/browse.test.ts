/**
 * `flashback peers`, `ls` and `cat` end to end, in process: a real tracker and real peers on loopback, bob's CLI
 * profile visiting alice over mutual TLS. Exit codes 0/1/2/3 and the one-line messages included.
 */
import t from 'tap'
import { join } from 'node:path'
import { type PeerBroadcast } from '@flashback/protocol'
import { cli, makeProfile } from '../helpers/cli.js'
import { makePeer, patternBytes, startTestTracker } from '../helpers/peers.js'

const ALICE = 'alice@example.com'
const PLAN = '# The plan\n\nShare one folder, browse it, download what you need.\n'

t.test('peers, ls and cat against a real tracker and a real peer', async (t) => {
  const tracker = await startTestTracker(t)
  const base = t.testdir()
  const alice = await makePeer(t, base, tracker, ALICE, {
    files: { 'index.md': '# Alice\n\n[plan](notes/plan.md)\n', 'notes/plan.md': PLAN, 'files/blob.bin': patternBytes(70_000, 3) },
  })
  await alice.runtime.start({ requireTracker: true })
  const bob = await makeProfile(base, tracker, 'bob@example.com')

  t.test('peers: a table, and JSON with --json', async (t) => {
    const table = await cli(['peers', '--profile', bob])
    t.equal(table.code, 0, 'exit 0')
    t.match(table.out, /^PEER\s+ADDRESSES\s+PORT\s+ACCESS\s+FINGERPRINT/, 'a table with a header')
    t.match(table.out, new RegExp(`${ALICE}\\s+127\\.0\\.0\\.1\\s+\\d+\\s+open`), 'alice is a row with her address, port and access')
    t.match(table.out, /peers? online\n$/, 'a count closes the table')
    const json = await cli(['peers', '--profile', bob, '--json'])
    t.equal(json.code, 0, 'exit 0 with --json')
    const peers = JSON.parse(json.out) as PeerBroadcast[]
    const entry = peers.find((p) => p.email === ALICE)
    t.ok(entry, 'alice is in the JSON list')
    t.equal(entry?.fingerprint, (await alice.runtime.identity()).fingerprint, 'with the fingerprint of her certificate')
    t.equal(entry?.port, alice.runtime.status().server?.port, 'and the port her server listens on')
  })

  t.test('ls: the root, a folder, JSON', async (t) => {
    const root = await cli(['ls', '--profile', bob, ALICE])
    t.equal(root.code, 0, 'exit 0')
    t.match(root.out, /^alice@example\.com:\/\n/, 'the listing names the peer and the folder')
    t.match(root.out, /files\/\n/, 'folders end with a slash')
    t.match(root.out, /index\.md/, 'files are listed')
    t.ok(root.out.indexOf('notes/') < root.out.indexOf('index.md'), 'folders come before files')
    t.match(root.out, /2 folders, 1 file/, 'a summary line counts them')
    const folder = await cli(['ls', '--profile', bob, `${ALICE}:/files`])
    t.match(folder.out, /68 KiB\s+\S+ \S+\s+blob\.bin/, 'a folder listing shows sizes in readable units')
    const json = await cli(['ls', '--profile', bob, `${ALICE}:notes/`, '--json'])
    t.equal(json.code, 0, 'exit 0 with --json')
    const listing = JSON.parse(json.out) as { email: string; path: string; entries: { name: string; size: number; type: string }[] }
    t.same(
      { email: listing.email, path: listing.path, entries: listing.entries.map((e) => [e.name, e.type, e.size]) },
      { email: ALICE, path: 'notes', entries: [['plan.md', 'file', Buffer.byteLength(PLAN)]] },
      'JSON gives the folder and its entries (the path without slashes)',
    )
  })

  t.test('cat prints a file byte for byte', async (t) => {
    const r = await cli(['cat', '--profile', bob, `${ALICE}:/notes/plan.md`])
    t.equal(r.code, 0, 'exit 0')
    t.equal(r.out, PLAN, 'stdout is exactly the file')
    const binary = await cli(['cat', '--profile', bob, `${ALICE}:/files/blob.bin`])
    t.equal(binary.code, 0, 'a binary file is printed when stdout is not a terminal')
    t.equal(Buffer.from(binary.out, 'latin1').length > 0, true, 'and something came out')
    const tty = await cli(['cat', '--profile', bob, `${ALICE}:/files/blob.bin`], { tty: true })
    t.equal(tty.code, 1, 'a binary file on a terminal is refused with exit 1')
    t.match(tty.err, /^flashback cat: invalid input: alice@example\.com:\/files\/blob\.bin is not text \(application\/octet-stream\); download it with `flashback get`/, 'the line says why and what to do')
    t.equal(tty.out, '', 'nothing reached the terminal')
  })

  t.test('not found and unreachable exit 2 with a line that says which', async (t) => {
    const missing = await cli(['cat', '--profile', bob, `${ALICE}:/nope.md`])
    t.equal(missing.code, 2, 'a missing file exits 2')
    t.match(missing.err, /^flashback cat: not found: alice@example\.com:\/nope\.md: no such file in this share\n$/, 'one line saying "not found"')
    const noFolder = await cli(['ls', '--profile', bob, `${ALICE}:/nope`])
    t.equal(noFolder.code, 2, 'a missing folder exits 2')
    const offline = await cli(['ls', '--profile', bob, 'carol@example.com'])
    t.equal(offline.code, 2, 'a peer that is not online exits 2')
    t.match(offline.err, /^flashback ls: unreachable: carol@example\.com is not online\n$/, 'one line saying "unreachable"')
  })

  t.test('usage errors exit 1', async (t) => {
    const cases: [string[], RegExp, string][] = [
      [['ls', '--profile', bob], /missing EMAIL\[:\/path\]/, 'no target'],
      [['ls', '--profile', bob, 'not-an-email'], /does not start with an e-mail address/, 'a target without an e-mail'],
      [['cat', '--profile', bob, ALICE], /names no file/, 'cat without a path'],
      [['cat', '--profile', bob, `${ALICE}:/../etc/passwd`], /"\.\." segments are not allowed/, 'a path escaping the share'],
      [['ls', ALICE], /--profile DIR is required/, 'no profile'],
      [['ls', '--profile', join(base, 'nobody'), ALICE], /no peer profile in/, 'a folder that is not a profile'],
      [['peers', '--profile', bob, 'extra'], /unexpected argument "extra"/, 'an extra argument'],
      [['ls', '--profile', bob, ALICE, '--long'], /Unknown option '--long'/, 'an unknown flag'],
    ]
    for (const [argv, message, what] of cases) {
      const r = await cli(argv)
      t.equal(r.code, 1, `${what}: exit 1`)
      t.match(r.err, message, `${what}: the line says what is wrong`)
      t.equal(r.err.trim().split('\n').length, 1, `${what}: one line`)
    }
  })

  t.test('FLASHBACK_PROFILE stands in for --profile', async (t) => {
    const r = await cli(['ls', ALICE], { env: { FLASHBACK_PROFILE: bob } })
    t.equal(r.code, 0, 'exit 0 with the profile from the environment')
    t.match(r.out, /index\.md/, 'the listing came')
  })
})

t.test('a peer that admits only friends refuses with exit 3; an unreachable tracker exits 2', async (t) => {
  const tracker = await startTestTracker(t)
  const base = t.testdir()
  const alice = await makePeer(t, base, tracker, ALICE, { files: { 'secret.txt': 'for friends only\n' } })
  await alice.runtime.updateSettings({ access: 'friends' })
  await alice.runtime.start({ requireTracker: true })
  const bob = await makeProfile(base, tracker, 'bob@example.com')

  for (const argv of [['ls', '--profile', bob, ALICE], ['cat', '--profile', bob, `${ALICE}:/secret.txt`]]) {
    const r = await cli(argv)
    t.equal(r.code, 3, `${argv[0]} of a friends-only peer exits 3`)
    t.match(r.err, new RegExp(`^flashback ${argv[0]}: refused: `), `${argv[0]}: the line says "refused"`)
  }
  // Alice befriends bob (his fingerprint from the tracker): now he may look.
  await alice.runtime.addFriend('bob@example.com')
  const allowed = await cli(['cat', '--profile', bob, `${ALICE}:/secret.txt`])
  t.equal(allowed.code, 0, 'once bob is her friend, exit 0')
  t.equal(allowed.out, 'for friends only\n', 'and he reads the file')

  await tracker.close()
  const r = await cli(['peers', '--profile', bob])
  t.equal(r.code, 2, 'peers with the tracker gone exits 2')
  t.match(r.err, /^flashback peers: unreachable: /, 'the line says "unreachable"')
})
