/**
 * The runtime logs like the server: pino's call shape (`logger.info({ …fields }, 'message')`), silent
 * unless given a logger (the CLI passes pino). One Logger type for the whole package.
 *
 * `createLogger` is a small pino-shaped logger for hosts that do not ship pino (the desktop main process:
 * a packaged app has no terminal, so pino and its worker-thread transports would only weigh the bundle):
 * one JSON line per entry, on stderr by default. Errors are reduced to name, code and message: never
 * request bodies, keys or certificates.
 */
import { type LogFn, type Logger } from '../server/logger.js'

export { silentLogger, type LogFn, type Logger } from '../server/logger.js'

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const
export type LogLevel = keyof typeof LEVELS

export interface CreateLoggerOptions {
  /** `debug`, `info` (default), `warn` or `error`; anything else is `info`. */
  level?: string
  /** Where each line goes (default: process.stderr). */
  write?: (line: string) => void
  /** The `name` field of every line (default `flashback`). */
  name?: string
}

function serializable(fields: object): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) {
      const code = (value as Error & { code?: unknown }).code
      out[key] = { type: value.name, message: value.message, ...(typeof code === 'string' ? { code } : {}) }
    } else {
      out[key] = value
    }
  }
  return out
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const min = LEVELS[(options.level ?? 'info') as LogLevel] ?? LEVELS.info
  const write = options.write ?? ((line: string) => process.stderr.write(line))
  const name = options.name ?? 'flashback'
  const entry = (level: LogLevel): LogFn => (objOrMsg: object | string, maybeMsg?: string) => {
    if (LEVELS[level] < min) return
    const obj = typeof objOrMsg === 'string' ? {} : objOrMsg
    const msg = typeof objOrMsg === 'string' ? objOrMsg : maybeMsg
    let line: string
    try {
      line = JSON.stringify({ level: LEVELS[level], time: Date.now(), name, ...serializable(obj), msg })
    } catch {
      // a cycle or a BigInt: the message alone still tells what happened
      line = JSON.stringify({ level: LEVELS[level], time: Date.now(), name, msg })
    }
    write(`${line}\n`)
  }
  return { debug: entry('debug'), info: entry('info'), warn: entry('warn'), error: entry('error') }
}
