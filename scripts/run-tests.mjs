// Runs every workspace's tap suite one after another (the machine has two cores; parallel suites
// that each start servers only fight), streams their output, and ends with one summary line.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'

const root = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const only = process.argv.slice(2)
const totals = { pass: 0, fail: 0, skip: 0, todo: 0 }
const failedWorkspaces = []

for (const ws of root.workspaces) {
  if (only.length && !only.some((o) => ws.includes(o))) continue
  const pkg = JSON.parse(readFileSync(new URL(`../${ws}/package.json`, import.meta.url), 'utf8'))
  if (!pkg.scripts?.test) continue
  console.log(`\n=== ${pkg.name} (${ws}) ===`)
  const code = await new Promise((resolve) => {
    const child = spawn('npm', ['test', '--silent'], { cwd: new URL(`../${ws}/`, import.meta.url), stdio: ['ignore', 'pipe', 'inherit'] })
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
        console.log(`run-tests: ${pkg.name} ran no tests`)
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
  if (code !== 0) failedWorkspaces.push(pkg.name)
}

console.log(`\nworkspaces failed: ${failedWorkspaces.length ? failedWorkspaces.join(', ') : 'none'}`)
console.log(`${totals.pass} passed, ${totals.fail} failed, ${totals.skip} skipped`)
process.exit(failedWorkspaces.length ? 1 : 0)
