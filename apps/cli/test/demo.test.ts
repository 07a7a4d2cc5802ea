/**
 * `npm run demo -- --once` (scripts/demo.mjs) as CI runs it: a real tracker and two real `flashback peer`
 * processes; the walkthrough must pass, exit 0, and leave no process or temporary folder behind.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CLI_DIR } from './helpers/cli.js'

const ROOT = join(CLI_DIR, '..', '..')

// The demo starts five processes and builds the CLI: give it the two minutes the issue allows, and some.
t.setTimeout(240_000)

t.test('npm run demo -- --once walks through and cleans up', { timeout: 230_000 }, async (t) => {
  const child = spawn('npm', ['run', '--silent', 'demo', '--', '--once'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (err += c.toString()))
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGINT')
  })
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
  t.equal(code, 0, `the demo exits 0${code === 0 ? '' : `\n${out}\n${err}`}`)
  t.match(out, /✔ alice is online: serving \$DEMO\/alice\/share on port \d+, broadcasting at the tracker/, 'alice came online')
  t.match(out, /✔ bob is online/, 'bob came online')
  t.match(out, /\$ npx flashback peers --profile \$BOB\n\s+PEER\s+ADDRESSES[^\n]*\n\s+alice@example\.com\s/, 'bob finds alice at the tracker')
  t.match(out, /\$ npx flashback ls --profile \$BOB alice@example\.com\n\s+alice@example\.com:\/\n/, "bob lists alice's root")
  t.match(out, /# The plan\n/, 'bob prints notes/plan.md')
  const sums = [...out.matchAll(/sha256 ([0-9a-f]{64})/g)].map((m) => m[1])
  t.equal(sums.length, 2, 'both checksums are shown')
  t.equal(sums[0], sums[1], 'the downloaded file has the SHA-256 of the original')
  t.match(out, /✔ identical/, 'the demo says the copy is identical')
  t.match(out, /✔ The walkthrough worked/, 'the walkthrough ends with success')
  const temp = /\$DEMO=(\S+),/.exec(out)?.[1]
  t.ok(temp, 'the demo names its temporary folder')
  t.notOk(temp && existsSync(temp), 'and removed it')
  t.ok(!out.includes('Press Ctrl-C'), '--once does not wait for Ctrl-C')
  if (temp && existsSync('/proc')) {
    t.same(processesMentioning(temp), [], 'no tracker or peer process of the demo is left running')
  }
})

/** PIDs whose command line mentions `text` (Linux /proc). */
function processesMentioning(text: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return pids
}
