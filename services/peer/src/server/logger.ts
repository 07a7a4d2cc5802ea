/**
 * The logging the server needs: a pino logger fits as is (pass `pino()` or a child), and without one
 * the server stays silent. Nothing secret is ever logged: no keys, no request bodies, no file contents.
 */
export interface LogFn {
  (obj: object, msg?: string): void
  (msg: string): void
}

export interface Logger {
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
}

const noop: LogFn = () => {}

export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop }
