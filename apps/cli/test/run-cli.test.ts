import t from 'tap'
import { PassThrough } from 'node:stream'
import { runCli, describeError } from '../src/run-cli.js'
import { PeerHttpError, ProfileError, RuntimeError, TrackerUnreachableError, PeerOfflineError } from '@flashback/peer'
import { CliError, ExitCode } from '../src/cli-error.js'

function io() {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (c) => (out += c))
  stderr.on('data', (c) => (err += c))
  return { io: { stdout, stderr, env: {}, stopSignal: new Promise<string>(() => {}) }, out: () => out, err: () => err }
}

t.test('no command prints the help and exits 1; --help exits 0', async (t) => {
  const a = io()
  t.equal(await runCli([], a.io), ExitCode.usage, 'a bare `flashback` is a usage error')
  t.match(a.out(), /Usage: flashback <command>/, 'the help is printed')
  const b = io()
  t.equal(await runCli(['--help'], b.io), ExitCode.ok, '--help succeeds')
  t.match(b.out(), /tracker/, 'the help lists the tracker command')
})

t.test('an unknown command is one line on stderr and exit 1', async (t) => {
  const a = io()
  t.equal(await runCli(['frobnicate'], a.io), ExitCode.usage, 'exit code 1')
  t.equal(a.err().trim().split('\n').length, 1, 'one line')
  t.match(a.err(), /unknown command "frobnicate"/, 'the line names the command')
})

t.test('errors become one line with the right exit code', async (t) => {
  t.same(describeError(new CliError('no such peer', ExitCode.unreachable)), { message: 'no such peer', exitCode: 2, kind: 'unreachable' }, 'CliError keeps its code')
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1\n  at x'), { code: 'ECONNREFUSED' })
  t.same(describeError(refused).exitCode, ExitCode.unreachable, 'a refused connection is "unreachable" (2)')
  t.notMatch(describeError(new Error('first\nsecond')).message, /second/, 'only the first line of a message is kept')
})

t.test('`flashback tracker` with a bad variable names it and exits non-zero', async (t) => {
  const a = io()
  const saved = process.exitCode
  const errors: string[] = []
  const original = console.error
  console.error = (...args: unknown[]) => void errors.push(args.join(' '))
  t.teardown(() => {
    console.error = original
    process.exitCode = saved
  })
  const code = await runCli(['tracker'], { ...a.io, env: { RELAY_PORT: 'seventy' } })
  t.not(code, 0, 'a non-zero exit')
  t.match(errors.join('\n'), /RELAY_PORT/, 'the message names the variable')
})

t.test('runtime errors map to exit codes and the line says which', async (t) => {
  const cases: [unknown, number, string, string][] = [
    [new PeerHttpError('a@x.org', 403, 'forbidden', 'a@x.org: friends only'), 3, 'refused', 'a 403 from a peer'],
    [new PeerHttpError('a@x.org', 404, 'not_found', 'a@x.org:/x: no such file'), 2, 'not found', 'a 404 from a peer'],
    [new RuntimeError('email_taken', 'taken'), 3, 'refused', 'email_taken (409)'],
    [new TrackerUnreachableError('the tracker at 127.0.0.1:1 is unreachable'), 2, 'unreachable', 'an unreachable tracker'],
    [new TrackerUnreachableError('wrong certificate', { code: 'tracker_untrusted' }), 3, 'refused', 'an untrusted tracker'],
    [new PeerOfflineError('a@x.org'), 2, 'unreachable', 'a peer that is not online'],
    [new RuntimeError('not_registered', 'a@x.org is not registered'), 2, 'not found', 'an unknown e-mail'],
    [new RuntimeError('download_interrupted', 'cut'), 2, 'unreachable', 'a cut transfer'],
    [new ProfileError('config.json: /port must be <= 65535'), 1, 'invalid input', 'an invalid profile'],
  ]
  for (const [err, exitCode, kind, what] of cases) {
    const d = describeError(err)
    t.equal(d.exitCode, exitCode, `${what} exits ${exitCode}`)
    t.equal(d.kind, kind, `${what} is reported as "${kind}"`)
  }
})

t.test('the help lists every command and each command has its own help', async (t) => {
  const a = io()
  await runCli(['--help'], a.io)
  for (const name of ['tracker', 'peer', 'peers', 'ls', 'cat', 'get', 'friends']) {
    t.match(a.out(), new RegExp(`\\n  ${name} `), `--help lists ${name}`)
    const b = io()
    t.equal(await runCli([name, '--help'], b.io), ExitCode.ok, `flashback ${name} --help exits 0`)
    t.match(b.out(), new RegExp(`Usage: flashback ${name}`), `flashback ${name} --help prints its usage`)
  }
})

t.test('a failing command prints `flashback <cmd>: <kind>: <message>` on one line', async (t) => {
  const a = io()
  t.equal(await runCli(['ls', '--profile', '/nonexistent/profile', 'alice@example.com'], a.io), ExitCode.usage, 'a missing profile is a usage error')
  t.equal(a.err().trim().split('\n').length, 1, 'one line')
  t.match(a.err(), /^flashback ls: usage: no peer profile in \/nonexistent\/profile/, 'the line names the command, the kind and the problem')
  const b = io()
  t.equal(await runCli(['ls', '--frobnicate'], b.io), ExitCode.usage, 'an unknown flag exits 1')
  t.match(b.err(), /^flashback ls: usage: Unknown option '--frobnicate' \(see `flashback ls --help`\)\n$/, 'the unknown flag is named, with where to look')
})
