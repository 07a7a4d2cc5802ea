import { CliError, ExitCode } from './cli-error.js'
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

/** Turn anything thrown into one line: our own errors keep their message, others are summarised. */
export function describeError(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode }
  const e = err as NodeJS.ErrnoException & { code?: string }
  if (e && typeof e === 'object' && 'code' in e) {
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      return { message: e.message.split('\n')[0] ?? String(e.message), exitCode: ExitCode.usage }
    }
    if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'ETIMEDOUT' || e.code === 'EHOSTUNREACH') {
      return { message: `unreachable: ${e.message}`, exitCode: ExitCode.unreachable }
    }
  }
  const message = err instanceof Error ? err.message : String(err)
  return { message: message.split('\n')[0] ?? message, exitCode: ExitCode.usage }
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
    const { message, exitCode } = describeError(err)
    io.stderr.write(`flashback ${name}: ${message}\n`)
    if (io.env.FLASHBACK_DEBUG && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`)
    return exitCode
  }
}
