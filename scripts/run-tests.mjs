// Runs every workspace's tap suite one after another (the machine has two cores; parallel suites
// that each start servers only fight), streams their output, and ends with one summary line.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'

const root = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const only = process.argv.slice(2)
const totals = { pass: 0, fail: 0, skip: 0, todo: 0 }
const failedWorkspaces = []

/** Every workspace's own `npm test`, then the suites that live outside workspaces. */
const suites = root.workspaces.map((ws) => {
  const pkg = JSON.parse(readFileSync(new URL(`../${ws}/package.json`, import.meta.url), 'utf8'))
  return pkg.scripts?.test ? { name: pkg.name, where: ws, cmd: ['npm', ['test', '--silent']] } : null
})
// The benchmark harness's own tests (its HTTP parser, device IDs, statistics, certificates): a
// framing bug there would make every number in the tables wrong.
suites.push({ name: 'bench harness', where: 'scripts/bench', cmd: ['npx', ['tap', '--disable-coverage', 'test/*.test.mjs']] })

for (const suite of suites) {
  if (!suite) continue
  if (only.length && !only.some((o) => suite.where.includes(o))) continue
  console.log(`\n=== ${suite.name} (${suite.where}) ===`)
  const code = await new Promise((resolve) => {
    const child = spawn(suite.cmd[0], suite.cmd[1], { cwd: new URL(`../${suite.where}/`, import.meta.url), stdio: ['ignore', 'pipe', 'inherit'] })
    let tail = ''
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk)
      tail = (tail + chunk.toString()).slice(-4000)
    })
    child.on('close', (c) => {
      // tap's closing line: "# { total: 52, pass: 50, fail: 1, skip: 1 }"
      const m = /# \{ total: (\d+)(.*)\}/.exec(tail)
      if (!m || m[1] === '0') {
        // A suite that ran nothing is a broken suite (e.g. a missing include), not a pass.
        console.log(`run-tests: ${suite.name} ran no tests`)
        resolve(1)
        return
      }
      {
        for (const key of Object.keys(totals)) {
          const n = new RegExp(`${key}: (\\d+)`).exec(m[2])
          if (n) totals[key] += Number(n[1])
        }
      }
      resolve(c ?? 1)
    })
  })
  if (code !== 0) failedWorkspaces.push(suite.name)
}

console.log(`\nworkspaces failed: ${failedWorkspaces.length ? failedWorkspaces.join(', ') : 'none'}`)
console.log(`${totals.pass} passed, ${totals.fail} failed, ${totals.skip} skipped`)
process.exit(failedWorkspaces.length ? 1 : 0)
