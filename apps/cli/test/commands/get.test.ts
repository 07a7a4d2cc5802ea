/**
 * `flashback get` end to end, in process, against a real tracker and a real peer: saving, the refusal to overwrite
 * without --force, the progress bar on a terminal, and downloads interrupted (the transfer cut by a relay in front of
 * alice's server, or Ctrl-C while it is stalled) then resumed to an identical file.
 */
import t from 'tap'
import { existsSync, statSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { cli, makeProfile, startRelayedPeer } from '../helpers/cli.js'
import { patternBytes, startTestTracker } from '../helpers/peers.js'

const ALICE = 'alice@example.com'
const BIG = patternBytes(6 * 1024 * 1024, 7)

t.test('get saves, refuses to overwrite, resumes', async (t) => {
  const tracker = await startTestTracker(t)
  const base = t.testdir()
  const alice = await startRelayedPeer(t, base, tracker, ALICE, { 'files/big.bin': BIG, 'notes/plan.md': '# Plan\n', 'folder/a.txt': 'a\n' })
  const bob = await makeProfile(base, tracker, 'bob@example.com')
  const downloads = join(base, 'downloads')
  await mkdir(downloads)

  t.test('a file to -o FILE, byte for byte', async (t) => {
    const dest = join(downloads, 'copy.bin')
    const r = await cli(['get', '--profile', bob, `${ALICE}:/files/big.bin`, '-o', dest])
    t.equal(r.code, 0, 'exit 0')
    t.equal(r.out, `saved ${dest} (6.0 MiB)\n`, 'one line says where it went and how big it is')
    t.ok((await readFile(dest)).equals(BIG), 'the file is identical to alice’s')
    t.notOk(existsSync(`${dest}.part`) || existsSync(`${dest}.part.json`), 'no part file is left behind')
  })

  t.test('without -o, into the current folder under its own name; -o DIR saves inside DIR', async (t) => {
    const cwd = process.cwd()
    const here = join(base, 'cwd')
    await mkdir(here)
    process.chdir(here)
    t.teardown(() => process.chdir(cwd))
    const r = await cli(['get', '--profile', bob, `${ALICE}:notes/plan.md`])
    t.equal(r.code, 0, 'exit 0')
    t.equal(await readFile(join(here, 'plan.md'), 'utf8'), '# Plan\n', 'plan.md is in the current folder')
    const inDir = await cli(['get', '--profile', bob, `${ALICE}:/notes/plan.md`, '-o', downloads])
    t.equal(inDir.code, 0, 'exit 0 with a folder as -o')
    t.ok(existsSync(join(downloads, 'plan.md')), 'the file is saved inside that folder')
  })

  t.test('an existing complete file is not overwritten without --force', async (t) => {
    const dest = join(downloads, 'mine.bin')
    await writeFile(dest, 'my own precious file\n')
    const r = await cli(['get', '--profile', bob, `${ALICE}:/files/big.bin`, '-o', dest])
    t.equal(r.code, 1, 'exit 1')
    t.equal(r.err, `flashback get: invalid input: ${dest} already exists; add --force to overwrite it\n`, 'one line says so and how to overwrite')
    t.equal(await readFile(dest, 'utf8'), 'my own precious file\n', 'the file is untouched')
    const forced = await cli(['get', '--profile', bob, `${ALICE}:/files/big.bin`, '-o', dest, '--force'])
    t.equal(forced.code, 0, 'with --force: exit 0')
    t.ok((await readFile(dest)).equals(BIG), 'and the file is replaced by alice’s')
  })

  t.test('a progress bar on a terminal', async (t) => {
    const dest = join(downloads, 'tty.bin')
    const r = await cli(['get', '--profile', bob, `${ALICE}:/files/big.bin`, '-o', dest], { tty: true })
    t.equal(r.code, 0, 'exit 0')
    t.match(r.err, /alice@example\.com:\/files\/big\.bin \[█+\] 100% 6\.0 MiB of 6\.0 MiB/, 'the bar reaches 100% with the sizes')
    const plain = await cli(['get', '--profile', bob, `${ALICE}:/files/big.bin`, '-o', join(downloads, 'plain.bin')])
    t.equal(plain.err, '', 'no bar (nothing on stderr) when stderr is not a terminal')
  })

  t.test('a transfer cut in the middle exits 2; running again resumes to an identical file', async (t) => {
    const dest = join(downloads, 'cut.bin')
    const cut = alice.relay.arm({ afterBytes: 2 * 1024 * 1024, mode: 'cut' })
    const first = await cli(['get', '--profile', bob, `${ALICE}:/files/big.bin`, '-o', dest])
    await cut
    t.equal(first.code, 2, 'the cut download exits 2')
    t.match(first.err, /^flashback get: unreachable: the download of files\/big\.bin stopped after \d+ of 6291456 bytes .*run it again to resume\n$/, 'one line says it stopped and how to resume')
    t.notOk(existsSync(dest), 'no file under the final name')
    const kept = statSync(`${dest}.part`).size
    t.ok(kept > 0 && kept < BIG.length, `the part file keeps what arrived (${kept} bytes)`)
    const second = await cli(['get', '--profile', bob, `${ALICE}:/files/big.bin`, '-o', dest])
    t.equal(second.code, 0, 'the second run exits 0')
    t.match(second.out, /^saved .* \(6\.0 MiB, resumed from [\d.]+ [KM]iB\)\n$/, 'it says it resumed')
    t.ok((await readFile(dest)).equals(BIG), 'the resumed file is identical to alice’s')
    t.notOk(existsSync(`${dest}.part`), 'the part file became the file')
  })

  t.test('Ctrl-C while the transfer hangs exits 130 and keeps the part; running again finishes it', async (t) => {
    const dest = join(downloads, 'interrupted.bin')
    // The user presses Ctrl-C once the relay holds the rest of the file back.
    const stopSignal = alice.relay.arm({ afterBytes: 3 * 1024 * 1024, mode: 'stall' }).then(() => 'SIGINT')
    const first = await cli(['get', '--profile', bob, `${ALICE}:/files/big.bin`, '-o', dest], { stopSignal })
    t.equal(first.code, 130, 'an interrupted download exits 130')
    t.match(first.err, /interrupted; .*interrupted\.bin\.part keeps what arrived: run the same command again to resume/, 'it says how to resume')
    t.ok(existsSync(`${dest}.part`), 'the part file is kept')
    const second = await cli(['get', '--profile', bob, `${ALICE}:/files/big.bin`, '-o', dest])
    t.equal(second.code, 0, 'the next run exits 0')
    t.ok((await readFile(dest)).equals(BIG), 'and the file is identical')
  })

  t.test('errors: missing file 2, a folder 1, no path 1', async (t) => {
    const missing = await cli(['get', '--profile', bob, `${ALICE}:/files/none.bin`, '-o', join(downloads, 'none.bin')])
    t.equal(missing.code, 2, 'a missing file exits 2')
    t.match(missing.err, /^flashback get: not found: /, 'the line says "not found"')
    t.notOk(existsSync(join(downloads, 'none.bin')), 'nothing is written for a missing file')
    const folder = await cli(['get', '--profile', bob, `${ALICE}:/folder`, '-o', join(downloads, 'folder')])
    t.equal(folder.code, 1, 'a folder exits 1')
    t.match(folder.err, /a folder, not a file/, 'the line says it is a folder')
    const noPath = await cli(['get', '--profile', bob, ALICE])
    t.equal(noPath.code, 1, 'no path exits 1')
  })
})
