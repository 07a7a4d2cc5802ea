/** One `flashback <name>` sub-command. `run` resolves to an exit code (or void for 0). */
export interface Command {
  name: string
  summary: string
  usage: string
  run(argv: string[], io: CommandIo): Promise<number | void>
}

/** What a command may touch besides its arguments: injectable for tests. */
export interface CommandIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  env: NodeJS.ProcessEnv
  /** Resolves when the user asks to stop (SIGINT/SIGTERM); daemons await it. */
  stopSignal: Promise<string>
}
