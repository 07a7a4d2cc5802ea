import t from 'tap'
import { PassThrough } from 'node:stream'
import { runCli, describeError } from '../src/run-cli.js'
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
  t.same(describeError(new CliError('no such peer', ExitCode.unreachable)), { message: 'no such peer', exitCode: 2 }, 'CliError keeps its code')
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
