/**
 * Exit codes are a contract for scripts: 0 ok, 1 usage or input error,
 * 2 peer/tracker unreachable or not found, 3 refused (403/409).
 */
export const ExitCode = {
  ok: 0,
  usage: 1,
  unreachable: 2,
  refused: 3,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/**
 * The word an error line starts with, so a person reading it knows which exit code it is without looking it up:
 * `flashback get: refused: alice@example.com: access denied`.
 */
export type ErrorKind = 'usage' | 'invalid input' | 'unreachable' | 'not found' | 'refused'

const kindOfCode: Record<ExitCode, ErrorKind> = { 0: 'invalid input', 1: 'invalid input', 2: 'unreachable', 3: 'refused' }

/** An error the CLI reports as one readable line with a chosen exit code, never a stack trace. */
export class CliError extends Error {
  readonly kind: ErrorKind
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.usage,
    kind?: ErrorKind,
  ) {
    super(message)
    this.name = 'CliError'
    this.kind = kind ?? kindOfCode[exitCode]
  }
}

/** A bad command line (missing argument, unknown flag, wrong value): exit 1. */
export const usageError = (message: string) => new CliError(message, ExitCode.usage, 'usage')
/** Input that cannot be used (a file exists, a folder is missing): exit 1. */
export const inputError = (message: string) => new CliError(message, ExitCode.usage, 'invalid input')
/** A peer or the tracker cannot be reached: exit 2. */
export const unreachableError = (message: string) => new CliError(message, ExitCode.unreachable, 'unreachable')
/** A peer, file or registration does not exist: exit 2. */
export const notFoundError = (message: string) => new CliError(message, ExitCode.unreachable, 'not found')
/** The peer or the tracker said no (403/409): exit 3. */
export const refusedError = (message: string) => new CliError(message, ExitCode.refused, 'refused')
