/**
 * The main process's log: pino's call shape (`log.info({ ...fields }, 'message')`, what the peer runtime expects),
 * written as one JSON line per entry on stderr. Packaged apps have no terminal, so nothing of value is lost by not
 * shipping pino (and its worker-thread transports) inside the bundle. Errors are reduced to name, code and message:
 * never request bodies, keys or certificates.
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

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const
export type LogLevel = keyof typeof LEVELS

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

export function createLogger(options: { level?: string; write?: (line: string) => void; name?: string } = {}): Logger {
  const min = LEVELS[(options.level ?? 'info') as LogLevel] ?? LEVELS.info
  const write = options.write ?? ((line: string) => process.stderr.write(line))
  const name = options.name ?? 'flashback-desktop'
  const entry = (level: LogLevel): LogFn => (objOrMsg: object | string, maybeMsg?: string) => {
    if (LEVELS[level] < min) return
    const obj = typeof objOrMsg === 'string' ? {} : objOrMsg
    const msg = typeof objOrMsg === 'string' ? objOrMsg : maybeMsg
    let line: string
    try {
      line = JSON.stringify({ level: LEVELS[level], time: Date.now(), name, ...serializable(obj), msg })
    } catch {
      line = JSON.stringify({ level: LEVELS[level], time: Date.now(), name, msg })
    }
    write(`${line}\n`)
  }
  return { debug: entry('debug'), info: entry('info'), warn: entry('warn'), error: entry('error') }
}

const noop: LogFn = () => {}
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop }
