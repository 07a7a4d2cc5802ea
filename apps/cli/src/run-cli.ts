import { exitCodeFor, RuntimeError } from '@flashback/peer'
import { CliError, ExitCode, type ErrorKind } from './cli-error.js'
import { type Command, type CommandIo } from './command.js'
import { commands } from './commands/index.js'

export const VERSION = '0.1.0'

function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
  return [
    'flashback — share one folder with the people you choose, peer to peer',
    '',
    'Usage: flashback <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `flashback <command> --help` for the options of one command.',
    'Exit codes: 0 ok, 1 usage or input error, 2 peer/tracker unreachable or not found, 3 refused.',
  ].join('\n')
}

/** Runtime error codes that mean "it is not there" rather than "cannot get there" (both exit 2). */
const NOT_FOUND_CODES = new Set(['not_found', 'not_registered', 'not_online', 'no_such_file'])

/**
 * Turn anything thrown into one line and an exit code: our own errors keep theirs, the runtime's are mapped by
 * `exitCodeFor` (1 input, 2 unreachable / not found, 3 refused), the rest is summarised. The line starts with what
 * kind of failure it is, so the exit code can be read off the message.
 */
export function describeError(err: unknown): { message: string; exitCode: number; kind: ErrorKind | 'error' } {
  if (err instanceof CliError) return { message: firstLine(err.message), exitCode: err.exitCode, kind: err.kind }
  const e = err as NodeJS.ErrnoException & { code?: unknown }
  const code = e && typeof e === 'object' && typeof e.code === 'string' ? e.code : undefined
  if (code?.startsWith('ERR_PARSE_ARGS_')) return { message: firstLine(e.message), exitCode: ExitCode.usage, kind: 'usage' }
  if (err instanceof RuntimeError) {
    let exitCode: number = exitCodeFor(err)
    // A transfer cut in the middle: the peer went away (the part file stays; running again resumes).
    if (err.code === 'download_interrupted') exitCode = ExitCode.unreachable
    const kind: ErrorKind =
      exitCode === ExitCode.refused ? 'refused' : exitCode === ExitCode.unreachable ? (NOT_FOUND_CODES.has(err.code) ? 'not found' : 'unreachable') : 'invalid input'
    return { message: firstLine(err.message), exitCode, kind }
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ECONNRESET') {
    return { message: firstLine(e.message), exitCode: ExitCode.unreachable, kind: 'unreachable' }
  }
  if (code === 'ENOENT') return { message: firstLine(e.message), exitCode: ExitCode.usage, kind: 'invalid input' }
  const message = err instanceof Error ? err.message : String(err)
  return { message: firstLine(message), exitCode: ExitCode.usage, kind: 'error' }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text
}

export async function runCli(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(helpText() + '\n')
    return name ? ExitCode.ok : ExitCode.usage
  }
  if (name === 'version' || name === '--version' || name === '-v') {
    io.stdout.write(`flashback ${VERSION}\n`)
    return ExitCode.ok
  }
  const command: Command | undefined = commands.find((c) => c.name === name)
  if (!command) {
    io.stderr.write(`flashback: unknown command "${name}" (try \`flashback --help\`)\n`)
    return ExitCode.usage
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage}\n`)
    return ExitCode.ok
  }
  try {
    return (await command.run(rest, io)) ?? ExitCode.ok
  } catch (err) {
    const { message, exitCode, kind } = describeError(err)
    io.stderr.write(`flashback ${name}: ${kind}: ${message}\n`)
    if (io.env.FLASHBACK_DEBUG && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`)
    return exitCode
  }
}
