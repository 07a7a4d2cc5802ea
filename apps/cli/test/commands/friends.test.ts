/**
 * `flashback friends add|remove|list` in process against a real tracker and a real peer: the fingerprint learned
 * from the tracker, health-checked status, JSON, and the exit codes of the failures.
 */
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { cli, makeProfile } from '../helpers/cli.js'
import { makePeer, startTestTracker } from '../helpers/peers.js'

const ALICE = 'alice@example.com'

t.test('friends add, list, remove', async (t) => {
  const tracker = await startTestTracker(t)
  const base = t.testdir()
  const alice = await makePeer(t, base, tracker, ALICE)
  await alice.runtime.start({ requireTracker: true })
  const aliceFingerprint = (await alice.runtime.identity()).fingerprint
  const bob = await makeProfile(base, tracker, 'bob@example.com')

  const empty = await cli(['friends', '--profile', bob, 'list'])
  t.equal(empty.code, 0, 'an empty list exits 0')
  t.match(empty.out, /No friends yet/, 'and says there are none yet')

  const added = await cli(['friends', '--profile', bob, 'add', ALICE, '--nickname', 'Alice'])
  t.equal(added.code, 0, 'add exits 0')
  t.equal(added.out, `added ${ALICE} ("Alice") as a friend, certificate ${aliceFingerprint}\n`, 'add prints the certificate learned from the tracker')
  const saved = JSON.parse(await readFile(join(bob, 'friends.json'), 'utf8')) as { friends: { email: string; fingerprint: string; nickname?: string }[] }
  t.same(saved.friends.map((f) => [f.email, f.fingerprint, f.nickname]), [[ALICE, aliceFingerprint, 'Alice']], 'the friend is saved in the profile with that fingerprint')

  const list = await cli(['friends', '--profile', bob, 'list'])
  t.equal(list.code, 0, 'list exits 0')
  t.match(list.out, /^FRIEND\s+NICKNAME\s+FINGERPRINT\s+ADDED\s+STATUS\n/, 'a table with a status column')
  t.match(list.out, new RegExp(`${ALICE}\\s+Alice\\s+${aliceFingerprint.slice(0, 16)}….*● online`), 'alice is online (health-checked over mutual TLS)')

  const json = await cli(['friends', '--profile', bob, 'list', '--json'])
  const rows = JSON.parse(json.out) as { email: string; fingerprint: string; status?: { status: string; address?: string } }[]
  t.equal(rows[0]?.status?.status, 'online', 'JSON carries the status')
  t.equal(rows[0]?.status?.address, '127.0.0.1', 'and the address that answered')
  const unchecked = await cli(['friends', '--profile', bob, 'list', '--no-check'])
  t.notMatch(unchecked.out, /STATUS/, '--no-check lists without health checks')

  await alice.runtime.stop()
  const offline = await cli(['friends', '--profile', bob, 'list'])
  t.equal(offline.code, 0, 'a friend being offline is not an error of the command')
  t.match(offline.out, /○ offline/, 'alice shows offline once she stopped')

  const removed = await cli(['friends', '--profile', bob, 'remove', ALICE])
  t.equal(removed.code, 0, 'remove exits 0')
  t.equal(removed.out, `removed ${ALICE} from your friends\n`, 'remove says so')
  const again = await cli(['friends', '--profile', bob, 'remove', ALICE])
  t.equal(again.code, 2, 'removing someone who is not a friend exits 2')
  t.equal(again.err, `flashback friends: not found: ${ALICE} is not one of your friends\n`, 'one line saying "not found"')
})

t.test('friends: given fingerprints, unknown addresses and usage errors', async (t) => {
  const tracker = await startTestTracker(t)
  const base = t.testdir()
  const bob = await makeProfile(base, tracker, 'bob@example.com')
  const fingerprint = 'AB:'.repeat(31) + 'AB'
  const given = await cli(['friends', '--profile', bob, 'add', 'carol@example.com', '--fingerprint', fingerprint])
  t.equal(given.code, 0, 'a friend with a given fingerprint needs no tracker entry')
  t.match(given.out, new RegExp(`certificate ${'ab'.repeat(32)}\\n$`), 'the fingerprint is stored normalised (no colons, lower case)')

  const unknown = await cli(['friends', '--profile', bob, 'add', 'nobody@example.com'])
  t.equal(unknown.code, 2, 'an address the tracker does not know exits 2')
  t.match(unknown.err, /^flashback friends: not found: nobody@example\.com is not registered with the tracker\n$/, 'the line says so')

  const cases: [string[], RegExp, string][] = [
    [['friends', '--profile', bob], /missing action: add, remove or list/, 'no action'],
    [['friends', '--profile', bob, 'befriend', 'x@y.z'], /unknown action "befriend"/, 'an unknown action'],
    [['friends', '--profile', bob, 'add'], /friends add needs the friend's EMAIL/, 'add without an e-mail'],
    [['friends', '--profile', bob, 'add', 'not an email'], /is not an e-mail address/, 'add with something that is not an e-mail'],
    [['friends', '--profile', bob, 'add', 'dan@example.com', '--fingerprint', 'xyz'], /is not a SHA-256 fingerprint/, 'a bad fingerprint'],
    [['friends', '--profile', bob, 'remove', 'x@y.z', '--nickname', 'X'], /--nickname and --fingerprint go with `friends add`/, 'a flag of another action'],
    [['friends', '--profile', bob, 'list', 'extra'], /unexpected argument "extra"/, 'an extra argument'],
    [['friends', '--profile', bob, 'remove', 'x@y.z', 'more'], /unexpected argument "more"/, 'extra arguments'],
  ]
  for (const [argv, message, what] of cases) {
    const r = await cli(argv)
    t.equal(r.code, 1, `${what}: exit 1`)
    t.match(r.err, message, `${what}: the line says what is wrong`)
  }
})
