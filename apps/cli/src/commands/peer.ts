import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pino } from 'pino'
import { createPeerRuntime, ProfileError, RuntimeError, type Logger, type PeerRuntime, type ProfileConfigPatch } from '@flashback/peer'
import { type AccessPolicy } from '@flashback/protocol'
import { parse, parsePort, profileDir, expectPositionals } from '../cli-args.js'
import { inputError, refusedError, usageError } from '../cli-error.js'
import { type Command, type CommandIo } from '../command.js'
import { startPeerExtras } from '../peer-extras.js'
import { resolveUiDir, startWebUi, type WebUi } from '../web/index.js'

const USAGE = `Usage: flashback peer --profile DIR [--share DIR] [--email ADDR] [--tracker URL]
                      [--tracker-fingerprint SHA256 | --tracker-ca FILE] [--bind-all | --no-bind-all]
                      [--port N] [--access open|registered|friends] [--web-ui [PORT]] [--publish]

Runs a peer: shares one folder over mutual TLS, stays online at the tracker (register, broadcast, heartbeats),
health-checks friends. Logs JSON lines (pino) on stdout, among them "peer ready" (port, addresses, fingerprint),
"broadcasting" once the tracker accepted us, "web ui ready" (url) with --web-ui, and "offline" on the way out.
Ctrl-C (SIGINT) or SIGTERM tells the tracker we leave and exits 0.

Settings given once are saved in the profile (DIR/config.json), so later runs need only --profile:
  --profile DIR                 the peer's folder: identity (key 0600), settings, friends (created if missing)
  --share DIR                   the folder to share
  --email ADDR                  the e-mail address this peer is known by (its certificate carries it)
  --tracker URL                 the tracker, https://host:port
  --tracker-fingerprint SHA256  pin the tracker's certificate (its log prints it), or:
  --tracker-ca FILE             a PEM CA file that signed the tracker's certificate (neither: the system CAs)
  --bind-all, --no-bind-all     listen on every interface (default: 127.0.0.1 only)
  --port N                      the peer server's port (default 0: any free port)
  --access POLICY               who may visit: open (loopback only), registered (default with --bind-all), friends
For this run only:
  --web-ui [PORT]               also serve the desktop UI to a browser on 127.0.0.1 (default: any free port);
                                the "web ui ready" line carries its address with a one-time access token
  --publish                     publish the share to the tracker's file registry (\`flashback search\` finds it):
                                hashed in the background ("hashing share" progress lines, a hash cache in DIR),
                                watched for changes, kept in step ("registry in step")

Exits 1 on a bad flag or setting, 2 when the tracker cannot be reached at start, 3 when the tracker refuses us
(email_taken: the address is registered with another certificate).
Environment: LOG_LEVEL (pino level, default info), FLASHBACK_PROFILE (instead of --profile),
FLASHBACK_UI_DIR (the built UI, default apps/ui/dist).`

const ACCESS: readonly AccessPolicy[] = ['open', 'registered', 'friends']
/** Which flag sets a setting, for "the profile has no … yet" errors. */
const FLAG_OF_FIELD: Record<string, string> = { '/email': '--email ADDR', '/shareRoot': '--share DIR', '/trackerUrl': '--tracker URL' }

/** `--web-ui` takes an optional port: `--web-ui`, `--web-ui 8080` and `--web-ui=8080` become `--web-ui=<port>`. */
export function normalizeWebUiFlag(argv: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--web-ui') {
      const next = argv[i + 1]
      if (next !== undefined && /^\d+$/.test(next)) {
        out.push(`--web-ui=${next}`)
        i++
      } else out.push('--web-ui=0')
    } else out.push(arg)
  }
  return out
}

async function requireDirectory(path: string, flag: string): Promise<string> {
  const absolute = resolve(path)
  const info = await stat(absolute).catch(() => undefined)
  if (!info) throw inputError(`${flag}: ${absolute} does not exist`)
  if (!info.isDirectory()) throw inputError(`${flag}: ${absolute} is not a folder`)
  return absolute
}

async function requireFile(path: string, flag: string): Promise<string> {
  const absolute = resolve(path)
  const info = await stat(absolute).catch(() => undefined)
  if (!info?.isFile()) throw inputError(`${flag}: ${absolute} is not a file`)
  return absolute
}

/** The settings the flags change (validated by the profile when saved). */
async function settingsFromFlags(values: Record<string, string | boolean | undefined>): Promise<ProfileConfigPatch> {
  const patch: ProfileConfigPatch = {}
  if (typeof values.share === 'string') patch.shareRoot = await requireDirectory(values.share, '--share')
  if (typeof values.email === 'string') patch.email = values.email.trim()
  if (typeof values.tracker === 'string') patch.trackerUrl = values.tracker.trim().replace(/\/+$/, '')
  if (typeof values['tracker-fingerprint'] === 'string' && typeof values['tracker-ca'] === 'string') {
    throw usageError('give --tracker-fingerprint or --tracker-ca, not both')
  }
  if (typeof values['tracker-fingerprint'] === 'string') patch.trackerFingerprint = values['tracker-fingerprint']
  if (typeof values['tracker-ca'] === 'string') patch.trackerCaFile = await requireFile(values['tracker-ca'], '--tracker-ca')
  if (typeof values['bind-all'] === 'boolean') patch.bindAll = values['bind-all']
  if (typeof values.port === 'string') patch.port = parsePort(values.port, '--port')
  if (typeof values.access === 'string') {
    if (!ACCESS.includes(values.access as AccessPolicy)) throw usageError(`--access must be open, registered or friends, not ${JSON.stringify(values.access)}`)
    patch.access = values.access as AccessPolicy
  }
  return patch
}

/** Human lines on a terminal (stderr), next to the JSON log on stdout. */
function tell(io: CommandIo, line: string): void {
  if (io.stderr.isTTY) io.stderr.write(`${line}\n`)
}

/** `flashback peer`: the daemon. */
export const peerCommand: Command = {
  name: 'peer',
  summary: 'run a peer: share a folder, stay online at the tracker (--web-ui: the UI in a browser)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parse(
      normalizeWebUiFlag(argv),
      {
        profile: { type: 'string' },
        share: { type: 'string' },
        email: { type: 'string' },
        tracker: { type: 'string' },
        'tracker-fingerprint': { type: 'string' },
        'tracker-ca': { type: 'string' },
        'bind-all': { type: 'boolean' },
        port: { type: 'string' },
        access: { type: 'string' },
        'web-ui': { type: 'string' },
        publish: { type: 'boolean' },
      },
      'peer',
      { allowNegative: true },
    )
    expectPositionals(positionals, 0, 'peer')
    const webUiPort = values['web-ui'] === undefined ? undefined : parsePort(values['web-ui'], '--web-ui')
    const patch = await settingsFromFlags(values)
    const dir = profileDir(values.profile, io.env, false)

    const logger = pino({ level: io.env.LOG_LEVEL ?? 'info', base: { pid: process.pid } }, io.stdout)
    // --publish is this run's: the profile's own `publish` setting (the UI's switch) is left as it is.
    const runtime = await createPeerRuntime({ profileDir: dir, logger, ...(values.publish === true ? { publish: true } : {}) })
    if (Object.keys(patch).length > 0) {
      await runtime.updateSettings(patch)
      logger.info({ profile: dir, saved: Object.keys(patch) }, 'settings saved')
    }
    try {
      runtime.profile.startConfig()
    } catch (err) {
      if (err instanceof ProfileError && err.field && FLAG_OF_FIELD[err.field]) {
        throw usageError(`${err.message.replace(/^.*?: the profile/, 'the profile')} (give ${FLAG_OF_FIELD[err.field]})`)
      }
      throw err
    }

    // Ctrl-C during the first round at the tracker ends it too (the runtime stops its presence at once).
    let stopping = false
    void io.stopSignal.then(() => {
      stopping = true
    })
    // The first round's failure, with its code: a tracker that is not the pinned one is a refusal (3), not an outage.
    let trackerError: { code: string; message: string } | undefined
    const unsubscribe = runtime.events.on('tracker_error', (event) => (trackerError = event.error))
    try {
      await Promise.race([runtime.start({ requireTracker: true }), io.stopSignal])
    } catch (err) {
      if (err instanceof RuntimeError && err.code === 'email_taken') throw refusedError(`email_taken: ${err.message}`)
      if (trackerError?.code === 'tracker_untrusted') throw refusedError(trackerError.message)
      throw err
    } finally {
      unsubscribe()
    }
    if (stopping) {
      await runtime.stop()
      return 0
    }
    const status = runtime.status()
    const trackerUrl = runtime.settings().trackerUrl
    tell(io, `Sharing ${runtime.settings().shareRoot} as ${status.email} on port ${status.server?.port} (access: ${status.server?.access}); online at ${trackerUrl}.`)

    // The matchmaker (always; "matchmaker observed address"). Publishing runs inside the runtime.
    const extras = await startPeerExtras(runtime, logger)

    let web: WebUi | undefined
    if (webUiPort !== undefined) {
      try {
        web = await startWeb(runtime, webUiPort, io, logger)
      } catch (err) {
        await extras.stop().catch(() => {})
        throw err
      }
    }
    if (web) tell(io, `Web UI: ${web.url}`)
    tell(io, 'Press Ctrl-C to stop.')

    const signal = await io.stopSignal
    logger.info({ signal }, 'stopping')
    await web?.close().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'closing the web UI failed'))
    await extras.stop().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'stopping the matchmaker failed'))
    await runtime.stop()
    return 0
  },
}

async function startWeb(runtime: PeerRuntime, port: number, io: CommandIo, logger: Logger): Promise<WebUi> {
  try {
    return await startWebUi({ runtime, port, uiDir: resolveUiDir(io.env), logger })
  } catch (err) {
    await runtime.stop()
    const e = err as NodeJS.ErrnoException
    if (e.code === 'EADDRINUSE') throw inputError(`--web-ui: port ${port} is already in use; choose another or give no port`)
    throw inputError(`--web-ui: ${e.message}`)
  }
}
