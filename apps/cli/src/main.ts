/**
 * `flashback` entry point: dispatches to a sub-command and turns every failure into one readable
 * line and an exit code (0 ok, 1 usage/input, 2 unreachable/not found, 3 refused). Set
 * FLASHBACK_DEBUG=1 to see stack traces.
 */
import { runCli } from './run-cli.js'

// SIGINT/SIGTERM are caught only by commands that ask for the stop signal (the peer daemon, `get`): a one-shot
// command that never asks keeps the default behaviour, so Ctrl-C still ends it at once.
let stopSignal: Promise<string> | undefined
const io = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  get stopSignal(): Promise<string> {
    stopSignal ??= new Promise<string>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal))
    })
    return stopSignal
  },
}

const code = await runCli(process.argv.slice(2), io)
process.exitCode = code
// Everything is closed by now; should a stray handle keep the loop alive, do not hang the shell.
setTimeout(() => process.exit(code), 3000).unref()
