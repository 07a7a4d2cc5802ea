/**
 * The tracker as a command: `node services/tracker/dist/server.js [flags]`, `npm run tracker`,
 * `flashback tracker`. Reads the environment and flags, starts, and on SIGTERM/SIGINT stops accepting,
 * finishes in-flight requests, closes the database and exits 0.
 */
import closeWithGrace from 'close-with-grace'
import { pino } from 'pino'
import { ConfigError, configHelp, loadConfig } from './config.js'
import { startTracker, type RunningTracker } from './start.js'

export interface TrackerMainOptions {
  argv?: readonly string[]
  env?: NodeJS.ProcessEnv
  /** Grace period for in-flight requests on shutdown (ms). */
  shutdownDelayMs?: number
}

/** Run the tracker until a signal; returns the running tracker (undefined after --help or a config error). */
export async function runTrackerMain(options: TrackerMainOptions = {}): Promise<RunningTracker | undefined> {
  const argv = options.argv ?? process.argv.slice(2)
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(configHelp())
    return undefined
  }
  let config
  try {
    config = loadConfig(options.env ?? process.env, argv)
  } catch (err) {
    if (err instanceof ConfigError) {
      // One line that names the variable, and a non-zero exit.
      console.error(`tracker: invalid configuration: ${err.message}`)
      process.exitCode = 2
      return undefined
    }
    throw err
  }
  const logger = pino({ level: config.logLevel, base: { pid: process.pid } })
  let tracker: RunningTracker
  try {
    tracker = await startTracker({ ...config, logger })
  } catch (err) {
    logger.fatal({ err }, 'tracker failed to start')
    process.exitCode = 1
    return undefined
  }
  closeWithGrace(
    {
      delay: options.shutdownDelayMs ?? 10_000,
      logger: { error: (msg: unknown) => logger.error(msg) },
    },
    async ({ signal, err }) => {
      if (err) logger.error({ err }, 'fatal error, shutting down')
      else logger.info({ signal }, 'shutting down')
      await tracker.close()
      logger.info('tracker stopped')
    },
  )
  return tracker
}
