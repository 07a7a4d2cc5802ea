#!/usr/bin/env node
// The two-peer demo: `npm run demo` (keeps running until Ctrl-C) or `npm run demo -- --once` (CI: walk through, exit).
//
// Everything runs as real processes of the built `flashback` command, exactly as a user would run them: a tracker on
// an embedded SQLite database in a temporary folder, and two peers, alice@example.com and bob@example.com, each with
// a profile and a share folder of sample files. Once both broadcast, bob finds alice at the tracker, lists her
// share, prints notes/plan.md and downloads a few MiB with the SHA-256 checked. Ctrl-C stops every process (the
// peers first, so they tell the tracker they leave) and removes the temporary folder.
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { deflateSync, crc32 } from 'node:zlib'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const CLI_DIR = join(ROOT, 'apps', 'cli')
const BIN = join(CLI_DIR, 'bin', 'flashback.js')
const UI_INDEX = join(ROOT, 'apps', 'ui', 'dist', 'index.html')
const ALICE = 'alice@example.com'
const BOB = 'bob@example.com'
/** The shared machine may be slow: generous limits for processes to come up. */
const START_TIMEOUT_MS = 90_000
const COMMAND_TIMEOUT_MS = 60_000

const args = process.argv.slice(2)
if (args.includes('--help') || args.includes('-h')) {
  console.log('Usage: npm run demo [-- --once]\n\n  --once  run the walkthrough, then stop everything and exit (0 on success)')
  process.exit(0)
}
const unknown = args.filter((a) => a !== '--once')
if (unknown.length > 0) {
  console.error(`demo: unknown argument ${unknown[0]} (usage: npm run demo [-- --once])`)
  process.exit(1)
}
const ONCE = args.includes('--once')

// ---- output ----

const color = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code) => (text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text)
const bold = paint('1')
const dim = paint('2')
const green = paint('32')
const red = paint('31')
const cyan = paint('36')
const say = (line = '') => process.stdout.write(`${line}\n`)
const indent = (text, prefix = '    ') =>
  text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => prefix + l)
    .join('\n')

// ---- processes ----

/** Everything started here, stopped in reverse order at the end. */
const children = []
let tempDir
let shuttingDown = false

class DemoError extends Error {}

/** A long-running `flashback` process whose stdout carries pino JSON lines. */
function startDaemon(name, argv, logFile) {
  const child = spawn(process.execPath, [BIN, ...argv], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C in the terminal reaches only the demo, which stops everyone in order.
    detached: true,
  })
  const daemon = { name, child, lines: [], stderr: '', exited: false, waiters: [] }
  children.push(daemon)
  const log = []
  createInterface({ input: child.stdout }).on('line', (line) => {
    log.push(line)
    let entry
    try {
      entry = JSON.parse(line)
    } catch {
      return
    }
    daemon.lines.push(entry)
    for (const w of [...daemon.waiters]) {
      if (w.match(entry)) {
        daemon.waiters.splice(daemon.waiters.indexOf(w), 1)
        w.resolve(entry)
      }
    }
  })
  child.stderr.on('data', (chunk) => {
    daemon.stderr = (daemon.stderr + chunk.toString()).slice(-4000)
  })
  daemon.closed = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      daemon.exited = true
      daemon.exitCode = code
      writeFile(logFile, log.join('\n') + '\n').catch(() => {})
      for (const w of daemon.waiters) w.reject(new DemoError(`${name} exited (${signal ?? `code ${code}`}) before "${w.what}":\n${indent(daemon.stderr.trim() || log.slice(-5).join('\n'))}`))
      daemon.waiters = []
      if (!shuttingDown) {
        say(red(`\n✘ ${name} stopped unexpectedly (${signal ?? `exit code ${code}`})`))
        if (daemon.stderr.trim()) say(indent(daemon.stderr.trim()))
        void shutdown(1)
      }
      resolve()
    })
  })
  // Keep a copy of the log on disk while it runs, for "tail -f"-minded users.
  const flush = setInterval(() => writeFile(logFile, log.join('\n') + '\n').catch(() => {}), 2000)
  flush.unref()
  child.on('exit', () => clearInterval(flush))
  return daemon
}

/** Resolves with the first log line (past or future) that `match`es. */
function waitForLine(daemon, what, match, timeoutMs = START_TIMEOUT_MS) {
  const seen = daemon.lines.find(match)
  if (seen) return Promise.resolve(seen)
  if (daemon.exited) return Promise.reject(new DemoError(`${daemon.name} is not running`))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      daemon.waiters = daemon.waiters.filter((w) => w !== waiter)
      reject(new DemoError(`${daemon.name} did not log "${what}" within ${timeoutMs / 1000} s`))
    }, timeoutMs)
    const waiter = {
      what,
      match,
      resolve: (v) => (clearTimeout(timer), resolve(v)),
      reject: (e) => (clearTimeout(timer), reject(e)),
    }
    daemon.waiters.push(waiter)
  })
}

/** Runs one `flashback` command to completion: { code, stdout, stderr }. */
function runCommand(argv, { showStderr = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      // On a terminal, `get` draws its progress bar straight onto it.
      stdio: ['ignore', 'pipe', showStderr && process.stderr.isTTY ? 'inherit' : 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr?.on('data', (c) => (stderr += c))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new DemoError(`flashback ${argv[0]} did not finish within ${COMMAND_TIMEOUT_MS / 1000} s`))
    }, COMMAND_TIMEOUT_MS)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

async function stopDaemon(daemon) {
  if (daemon.exited) return
  try {
    process.kill(daemon.child.pid, 'SIGTERM')
  } catch {
    return
  }
  const killer = setTimeout(() => {
    try {
      process.kill(-daemon.child.pid, 'SIGKILL')
    } catch {
      // gone already
    }
  }, 15_000)
  await daemon.closed
  clearTimeout(killer)
}

/** Stop the peers (they send broadcast/offline), then the tracker, then remove the temporary folder. */
async function shutdown(code) {
  if (shuttingDown) return
  shuttingDown = true
  if (!ONCE || code !== 0) say(dim('\nStopping alice, bob and the tracker…'))
  const peers = children.filter((c) => c.name !== 'tracker')
  await Promise.all(peers.map(stopDaemon))
  await Promise.all(children.filter((c) => c.name === 'tracker').map(stopDaemon))
  if (tempDir) await rm(tempDir, { recursive: true, force: true }).catch(() => {})
  if (!ONCE || code !== 0) say(dim(`Stopped everything and removed ${tempDir ?? 'the temporary folder'}.`))
  process.exit(code)
}

// A crash of the demo itself must not leave processes behind.
process.on('exit', () => {
  for (const d of children) {
    if (!d.exited) {
      try {
        process.kill(-d.child.pid, 'SIGKILL')
      } catch {
        // gone already
      }
    }
  }
})

// ---- sample content ----

/** A small PNG (a sunset over the sea, drawn pixel by pixel) without any image library. */
function samplePicture(width = 320, height = 180) {
  const raw = Buffer.alloc((width * 3 + 1) * height)
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1)
    raw[row] = 0 // filter: none
    for (let x = 0; x < width; x++) {
      const horizon = height * 0.62
      const dx = x - width * 0.5
      const dy = y - horizon + 18
      const sun = dx * dx + dy * dy < 26 * 26 && y < horizon
      let r, g, b
      if (sun) [r, g, b] = [255, 214, 102]
      else if (y < horizon) {
        const t = y / horizon
        ;[r, g, b] = [Math.round(40 + 215 * t), Math.round(60 + 90 * t), Math.round(140 - 40 * t)]
      } else {
        const t = (y - horizon) / (height - horizon)
        const wave = Math.sin(x / 9 + y * 1.3) > 0.82 ? 40 : 0
        ;[r, g, b] = [Math.round(30 + 40 * (1 - t)) + wave, Math.round(70 + 50 * (1 - t)) + wave, Math.round(120 + 60 * (1 - t)) + wave]
      }
      raw[row + 1 + x * 3] = Math.min(r, 255)
      raw[row + 2 + x * 3] = Math.min(g, 255)
      raw[row + 3 + x * 3] = Math.min(b, 255)
    }
  }
  const chunk = (type, data) => {
    const length = Buffer.alloc(4)
    length.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([length, body, crc])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bit depth
  header[9] = 2 // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

const ALICE_FILES = {
  'index.md': `# Alice's house

Welcome! This folder is shared with Flashback, peer to peer.

- Start with [the plan](notes/plan.md).
- A picture from the holidays: [sunset](pictures/sunset.png)
- The data set we talked about: [dataset.bin](files/dataset.bin) (4 MiB)

![Sunset](pictures/sunset.png)
`,
  'notes/plan.md': `# The plan

1. Share one folder with the people you choose.
2. Find each other through a small tracker (mutual TLS, nothing else stored).
3. Browse, preview and download straight from each other's computers.
`,
  'notes/ideas.txt': 'a photo album for the family\na shared reading list\n',
}

const BOB_FILES = {
  'index.md': `# Bob's corner\n\nMostly music lists for now. See [songs](songs/list.txt).\n`,
  'songs/list.txt': 'Blue in Green\nSo What\nNaima\n',
}

async function writeFiles(dir, files) {
  for (const [name, data] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), data)
  }
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex')

// ---- the walkthrough ----

let stepNumber = 0
function step(title) {
  stepNumber++
  say()
  say(bold(`${stepNumber}. ${title}`))
}

/** Shows the command as a user would type it (with $BOB for the profile), runs it, shows its output. */
async function show(argv, shownArgv, expect, options = {}) {
  say(cyan(`  $ npx flashback ${shownArgv}`))
  const { code, stdout, stderr } = await runCommand(argv, options)
  if (stdout.trim()) say(indent(stdout))
  if (code !== 0) throw new DemoError(`flashback ${argv[0]} exited ${code}: ${stderr.trim() || stdout.trim()}`)
  const problem = expect(stdout)
  if (problem) throw new DemoError(`flashback ${argv[0]}: ${problem}`)
  return stdout
}

async function main() {
  if (!existsSync(join(ROOT, 'node_modules'))) throw new DemoError('run `npm ci` first (the demo runs the built flashback command)')
  // The bundle is cheap to rebuild (esbuild, about a second): never demo stale code.
  say(dim('Building the flashback command…'))
  const build = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['build.mjs'], { cwd: CLI_DIR, stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (c) => (err += c))
    child.on('close', (code) => resolve({ code, err }))
  })
  if (build.code !== 0) throw new DemoError(`building the CLI failed:\n${indent(build.err)}`)
  const webUi = existsSync(UI_INDEX)

  tempDir = await mkdtemp(join(tmpdir(), 'flashback-demo-'))
  const dirs = {
    tracker: join(tempDir, 'tracker'),
    alice: { profile: join(tempDir, 'alice', 'profile'), share: join(tempDir, 'alice', 'share') },
    bob: { profile: join(tempDir, 'bob', 'profile'), share: join(tempDir, 'bob', 'share'), downloads: join(tempDir, 'bob', 'downloads') },
  }
  const dataset = randomBytes(4 * 1024 * 1024)
  await writeFiles(dirs.alice.share, { ...ALICE_FILES, 'pictures/sunset.png': samplePicture(), 'files/dataset.bin': dataset })
  await writeFiles(dirs.bob.share, BOB_FILES)
  await mkdir(dirs.bob.downloads, { recursive: true })

  say()
  say(bold('Flashback demo: two peers on this computer find each other through a tracker and share files directly.'))
  say(dim(`Everything lives in $DEMO=${tempDir}, removed at the end.`))

  // The tracker: any free port on loopback, SQLite in the temporary folder, a generated certificate.
  step('Start a tracker (SQLite in the temporary folder, a self-signed certificate)')
  const trackerArgs = ['tracker', '--port', '0', '--bind-address', '127.0.0.1', '--data-dir', dirs.tracker, '--matchmaker-port', '0']
  say(cyan(`  $ npx flashback ${trackerArgs.join(' ').replace(tempDir, '$DEMO')}`))
  const tracker = startDaemon('tracker', trackerArgs, join(tempDir, 'tracker.log'))
  const listening = await waitForLine(tracker, 'tracker listening', (l) => l.msg === 'tracker listening')
  say(`    listening at ${bold(listening.url)}`)
  say(`    certificate fingerprint ${listening.fingerprint}`)

  step('Start two peers: alice and bob, each sharing a folder')
  const peerArgs = (who, email) => [
    'peer', '--profile', dirs[who].profile, '--share', dirs[who].share, '--email', email,
    '--tracker', listening.url, '--tracker-fingerprint', listening.fingerprint, ...(webUi ? ['--web-ui'] : []),
  ]
  for (const who of ['alice', 'bob']) {
    const shown = peerArgs(who, who === 'alice' ? ALICE : BOB)
      .join(' ')
      .replaceAll(tempDir, '$DEMO')
      .replace(listening.fingerprint, '$FINGERPRINT')
    say(cyan(`  $ npx flashback ${shown} &`))
  }
  const alice = startDaemon('alice', peerArgs('alice', ALICE), join(tempDir, 'alice.log'))
  const bob = startDaemon('bob', peerArgs('bob', BOB), join(tempDir, 'bob.log'))
  const ready = {}
  for (const [name, daemon] of [['alice', alice], ['bob', bob]]) {
    const peerReady = await waitForLine(daemon, 'peer ready', (l) => l.msg === 'peer ready')
    await waitForLine(daemon, 'broadcasting', (l) => l.msg === 'broadcasting')
    const web = webUi ? await waitForLine(daemon, 'web ui ready', (l) => l.msg === 'web ui ready') : undefined
    ready[name] = { port: peerReady.port, web: web?.url }
    say(`    ${green('✔')} ${name} is online: serving ${dirs[name].share.replace(tempDir, '$DEMO')} on port ${peerReady.port}, broadcasting at the tracker`)
  }

  say()
  say(dim(`From here on, bob's profile is $BOB=${dirs.bob.profile}`))
  const bobProfile = ['--profile', dirs.bob.profile]

  step('Bob asks the tracker who is online')
  await show(['peers', ...bobProfile], 'peers --profile $BOB', (out) => (out.includes(ALICE) ? '' : `${ALICE} is not in the list`))

  step("Bob lists alice's shared folder")
  await show(['ls', ...bobProfile, ALICE], `ls --profile $BOB ${ALICE}`, (out) =>
    out.includes('index.md') && out.includes('notes/') ? '' : 'index.md and notes/ are not in the listing',
  )

  step('Bob reads notes/plan.md (the file index.md links to)')
  await show(['cat', ...bobProfile, `${ALICE}:/notes/plan.md`], `cat --profile $BOB ${ALICE}:/notes/plan.md`, (out) =>
    out === ALICE_FILES['notes/plan.md'] ? '' : 'the text differs from alice’s file',
  )

  step('Bob downloads the 4 MiB data set and checks its SHA-256')
  const dest = join(dirs.bob.downloads, 'dataset.bin')
  await show(
    ['get', ...bobProfile, `${ALICE}:/files/dataset.bin`, '-o', dest],
    `get --profile $BOB ${ALICE}:/files/dataset.bin -o ${dest.replace(tempDir, '$DEMO')}`,
    (out) => (out.startsWith('saved ') ? '' : 'no "saved" line'),
    { showStderr: true },
  )
  const expected = sha256(dataset)
  const actual = sha256(await readFile(dest))
  say(`    alice's file  sha256 ${expected}`)
  say(`    bob's copy    sha256 ${actual}`)
  if (actual !== expected) throw new DemoError('the downloaded file differs from the original')
  say(`    ${green('✔ identical')}`)

  step('Bob makes alice a friend (pinned to the certificate the tracker publishes)')
  await show(['friends', ...bobProfile, 'add', ALICE, '--nickname', 'Alice'], `friends --profile $BOB add ${ALICE} --nickname Alice`, (out) =>
    out.startsWith('added') ? '' : 'no "added" line',
  )
  await show(['friends', ...bobProfile, 'list'], 'friends --profile $BOB list', (out) => (/online/.test(out) ? '' : 'alice is not shown online'))

  say()
  say(green(bold('✔ The walkthrough worked: bob found alice through the tracker and browsed her share over mutual TLS.')))
  if (ONCE) {
    await shutdown(0)
    return
  }

  say()
  say(bold('Everything keeps running. Try it yourself in another terminal (from this folder):'))
  say(cyan(`  export BOB=${dirs.bob.profile}`))
  say(cyan(`  export ALICE=${dirs.alice.profile}`))
  say(cyan('  npx flashback peers --profile $BOB'))
  say(cyan(`  npx flashback ls --profile $BOB ${ALICE}:/pictures`))
  say(cyan(`  npx flashback get --profile $BOB ${ALICE}:/pictures/sunset.png -o /tmp/sunset.png`))
  say(cyan(`  npx flashback cat --profile $ALICE ${BOB}:/songs/list.txt`))
  say(cyan('  npx flashback friends --profile $BOB list'))
  say(dim(`  Logs: ${join(tempDir, 'alice.log')}, ${join(tempDir, 'bob.log')}, ${join(tempDir, 'tracker.log')}`))
  say()
  if (webUi) {
    say(bold('Or open the app in a browser on this computer (each link carries a private access token):'))
    say(`  alice: ${cyan(ready.alice.web)}`)
    say(`  bob:   ${cyan(ready.bob.web)}`)
  } else {
    say(dim('(The web UI is not built, so the peers run without it: `npm run build -w @flashback/ui`, then run the demo again.)'))
  }
  say()
  say(bold('Press Ctrl-C to stop everything and remove the temporary folder.'))
  await new Promise(() => {})
}

// Ctrl-C is how the demo is meant to end; during --once it is an interruption.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void shutdown(ONCE ? 130 : 0))

main().catch(async (err) => {
  if (shuttingDown) return
  say(red(`\n✘ demo failed: ${err instanceof DemoError ? err.message : (err?.stack ?? err)}`))
  await shutdown(1)
})
