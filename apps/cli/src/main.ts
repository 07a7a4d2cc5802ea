/**
 * `flashback` entry point: dispatches to a sub-command and turns every failure into one readable
 * line and an exit code (0 ok, 1 usage/input, 2 unreachable/not found, 3 refused). Set
 * FLASHBACK_DEBUG=1 to see stack traces.
 */
import { runCli } from './run-cli.js'

const stopSignal = new Promise<string>((resolve) => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal))
})

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stopSignal,
})
process.exitCode = code
