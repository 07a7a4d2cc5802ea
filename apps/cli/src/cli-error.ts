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

/** An error the CLI reports as one readable line with a chosen exit code, never a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.usage,
  ) {
    super(message)
    this.name = 'CliError'
  }
}

export const usageError = (message: string) => new CliError(message, ExitCode.usage)
export const unreachableError = (message: string) => new CliError(message, ExitCode.unreachable)
export const refusedError = (message: string) => new CliError(message, ExitCode.refused)
