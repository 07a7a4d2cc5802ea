/**
 * `FlashbackApi` on top of a `PeerRuntime`: the one implementation both shells use. The Electron main process
 * hands it to its IPC handlers; web mode (apps/cli/src/web) serves it over HTTP. What only a shell can do (a native
 * folder picker, "show in folder", opening the system browser) comes in as hooks; without a hook the method says
 * clearly that this shell cannot do it.
 *
 *   const bridge = createRuntimeBridge(runtime, { mode: 'web', version })
 *   const off = bridge.subscribe((event) => send(event))
 *   await bridge.listPeers({})
 *   bridge.close()                      // detaches from the runtime; the runtime keeps running
 *
 * Every method validates its argument against the channel's schema (the shells validate too: defence in depth) and
 * turns runtime failures into BridgeErrors with the bridge's codes. Runtime events become bridge events: the whole
 * status whenever it changes, one peer when its status or friendship changes, the whole list after a tracker listing
 * that changed it, and downloads with their transfer rate.
 */
import { stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import {
  BridgeError,
  BridgeErrorCode,
  bridgeDownloadFromRuntime,
  bridgeMethodsFrom,
  bridgeSearchResult,
  bridgeStatusFromRuntime,
  checkBridgeArgs,
  downloadActionRefusal,
  electronRemoteFileUrl,
  ErrorCode,
  mergePeers,
  SEARCH_PAGE_DEFAULT,
  settingsProblems,
  STATUS_MAX_ERRORS,
  webRemoteFileUrl,
  type AppInfo,
  type BridgeArgs,
  type BridgeChannelName,
  type BridgeEvent,
  type BridgeListener,
  type BridgeResult,
  type Download,
  type DownloadInfo,
  type FlashbackApi,
  type PeerBroadcast,
  type PeersReply,
  type PeerStatusReport,
  type PeerView,
  type RuntimeEvent,
  type Settings,
  type SettingsDefaults,
  type Status,
  type StatusError,
} from '@flashback/protocol'
import { describeError, FingerprintChangedError, PeerOfflineError, PeerUnreachableError } from '../runtime/errors.js'
import { statusFromError } from '../runtime/friends.js'
import { silentLogger, type Logger } from '../runtime/logger.js'
import { type PeerRuntime } from '../runtime/runtime.js'
import { toBridgeErrorFromRuntime } from './errors.js'

/** What the shell provides. Missing hooks mean "this shell cannot": the UI learns it from `getInfo`. */
export interface BridgeShellHooks {
  mode: AppInfo['mode']
  /** The app's version, shown by the UI. */
  version: string
  /** A native folder picker; resolves null when the user cancelled. Absent: `chooseShareFolder` is unsupported. */
  chooseFolder?: () => Promise<string | null>
  /** Show a file in the system file manager. Absent: `revealDownload` answers `unsupported` with the file's path. */
  revealFile?: (path: string) => Promise<void> | void
  /** Open an http(s) URL in the system browser; true when it was opened. Absent: `{ opened: false }`. */
  openExternal?: (url: string) => Promise<boolean> | boolean
  /** Remote-bytes URL for the renderer (default: `/remote/…` in web mode, `flashback://peer/…` on the desktop). */
  remoteFileUrl?: (email: string, path: string) => string
}

export interface RuntimeBridgeOptions {
  /** While someone listens, ask the tracker who is online this often and publish the changes (default 30 s). */
  peersRefreshIntervalMs?: number
  /** `listPeers` without `refresh` answers from a tracker listing younger than this (default 5 s). */
  peersMaxAgeMs?: number
  /** Suggestions for the first-run form (merged over the built-in ones). */
  defaults?: SettingsDefaults
  /** Unexpected failures are logged here (pino fits). */
  logger?: Logger
}

export interface RuntimeBridge extends FlashbackApi {
  /** Detach from the runtime: no more events, no more polling. The runtime itself keeps running. */
  close(): void
}

export const DEFAULT_PEERS_REFRESH_INTERVAL_MS = 30_000
export const DEFAULT_PEERS_MAX_AGE_MS = 5_000
/** The transfer rate is measured over this window. */
const RATE_WINDOW_MS = 3_000
/** Visit results kept for peers who are not friends. */
const MAX_VISIT_REPORTS = 1000

type Handlers = { [N in BridgeChannelName]: (args: BridgeArgs<N>) => Promise<BridgeResult<N>> }

const lower = (email: string) => email.toLowerCase()

/** The bridge's Settings from the runtime's profile, or null before the first-run setup. */
export function settingsFromRuntime(runtime: PeerRuntime): Settings | null {
  if (!runtime.configured) return null
  const config = runtime.settings()
  const bindAll = config.bindAll ?? false
  return {
    email: config.email as string,
    shareRoot: config.shareRoot as string,
    trackerUrl: config.trackerUrl as string,
    trackerFingerprint: config.trackerFingerprint ?? null,
    bindAll,
    access: config.access ?? (bindAll ? 'registered' : 'open'),
  }
}

const sameSettings = (a: Settings | null, b: Settings) =>
  a !== null && (Object.keys(b) as (keyof Settings)[]).every((k) => a[k] === b[k])

/** Connection-level visit failures say something about the peer's status (a 404 for a file does not). */
const isReachabilityError = (err: unknown) =>
  err instanceof PeerOfflineError || err instanceof PeerUnreachableError || err instanceof FingerprintChangedError

export function createRuntimeBridge(runtime: PeerRuntime, shell: BridgeShellHooks, options: RuntimeBridgeOptions = {}): RuntimeBridge {
  const logger = options.logger ?? silentLogger
  const refreshIntervalMs = options.peersRefreshIntervalMs ?? DEFAULT_PEERS_REFRESH_INTERVAL_MS
  const maxAgeMs = options.peersMaxAgeMs ?? DEFAULT_PEERS_MAX_AGE_MS
  const listeners = new Set<BridgeListener>()
  let closed = false

  // ---- events out ----

  const emit = (event: BridgeEvent) => {
    for (const listener of [...listeners]) {
      try {
        listener(event)
      } catch (err) {
        logger.warn({ err: describeError(err), event: event.type }, 'a bridge event listener threw')
      }
    }
  }

  // ---- status and its recent errors ----

  const errors: StatusError[] = []
  let lastStatusJson = ''

  const addError = (source: StatusError['source'], code: string, message: string) => {
    const at = new Date().toISOString()
    const last = errors.at(-1)
    // A failure that repeats (every retry of an unreachable tracker) is one entry with a fresh time.
    if (last && last.source === source && last.code === code && last.message === message.slice(0, 2000)) {
      last.at = at
      return
    }
    errors.push({ at, source, code: code.slice(0, 64), message: message.slice(0, 2000) })
    if (errors.length > STATUS_MAX_ERRORS) errors.splice(0, errors.length - STATUS_MAX_ERRORS)
  }

  const status = (): Status =>
    bridgeStatusFromRuntime({ configured: runtime.configured, runtime: runtime.status(), errors: errors.map((e) => ({ ...e })) })

  const emitStatus = () => {
    const current = status()
    const json = JSON.stringify(current)
    if (json === lastStatusJson) return
    lastStatusJson = json
    emit({ type: 'status', status: current })
  }

  // ---- peers: the tracker's online list, friends and what visits found ----

  let online: PeerBroadcast[] = []
  let trackerError: string | undefined
  let listedAt = 0
  let updatedAt = new Date().toISOString()
  let listing: Promise<void> | undefined
  /** Non-friends' status as the last visit found it (friends have the runtime's health checks). */
  const visits = new Map<string, PeerStatusReport>()
  /** What the listeners were last told, per peer: to send only changes. */
  let published = new Map<string, { email: string; json: string }>()

  const askTracker = (): Promise<void> => {
    listing ??= (async () => {
      const startedAt = new Date().toISOString()
      try {
        online = await runtime.onlinePeers()
        trackerError = undefined
        // The fresh listing is newer truth for non-friends than a visit made before it.
        for (const [key, report] of visits) if ((report.checkedAt ?? '') < startedAt) visits.delete(key)
      } catch (err) {
        online = []
        const bridgeError = toBridgeErrorFromRuntime(err)
        trackerError = bridgeError.internal ? describeError(err) : bridgeError.message
      }
      listedAt = Date.now()
      updatedAt = new Date().toISOString()
    })().finally(() => {
      listing = undefined
    })
    return listing
  }

  const peerViews = (): PeerView[] => {
    const friends = runtime.friends()
    const friendKeys = new Set(friends.map((f) => lower(f.email)))
    const reports = [...runtime.friendStatuses(), ...[...visits.values()].filter((r) => !friendKeys.has(lower(r.email)))]
    return mergePeers({ online, friends, reports, me: runtime.status().email ?? null })
  }

  const peersReply = (views: PeerView[] = peerViews()): PeersReply => {
    const reply: PeersReply = { peers: views, updatedAt }
    if (trackerError !== undefined) reply.trackerError = trackerError.slice(0, 2000)
    return reply
  }

  const snapshot = (views: PeerView[]) => new Map(views.map((v) => [lower(v.email), { email: v.email, json: JSON.stringify(v) }]))

  /** One event per peer that changed (or left) since the listeners were last told. */
  const publishChanges = () => {
    if (!runtime.configured) return
    const views = peerViews()
    const next = snapshot(views)
    for (const view of views) {
      if (published.get(lower(view.email))?.json !== next.get(lower(view.email))?.json) emit({ type: 'peer', peer: view })
    }
    for (const [key, old] of published) if (!next.has(key)) emit({ type: 'peer-removed', email: old.email })
    published = next
  }

  /** After a tracker listing: the whole list, when anything in it changed. */
  const publishList = () => {
    const views = peerViews()
    const next = snapshot(views)
    const changed = next.size !== published.size || [...next].some(([key, v]) => published.get(key)?.json !== v.json)
    published = next
    if (changed) emit({ type: 'peers', peers: peersReply(views) })
  }

  const recordVisit = (email: string, outcome: { ok: true } | { ok: false; err: unknown }) => {
    if (runtime.friends().some((f) => lower(f.email) === lower(email))) return
    if (!outcome.ok && !isReachabilityError(outcome.err)) return
    const checkedAt = new Date().toISOString()
    const report: PeerStatusReport = outcome.ok ? { email, status: 'online', checkedAt } : { email, ...statusFromError(outcome.err), checkedAt }
    const previous = visits.get(lower(email))
    visits.delete(lower(email))
    visits.set(lower(email), report)
    // Bounded: the oldest visit results go first.
    while (visits.size > MAX_VISIT_REPORTS) visits.delete(visits.keys().next().value as string)
    if (previous?.status !== report.status || previous?.message !== report.message) publishChanges()
  }

  /** Runs a visit and remembers what it says about the peer's reachability. */
  const visit = async <T>(email: string, run: () => Promise<T>): Promise<T> => {
    try {
      const result = await run()
      recordVisit(email, { ok: true })
      return result
    } catch (err) {
      recordVisit(email, { ok: false, err })
      throw err
    }
  }

  // While someone listens, the tracker is asked now and then, so peers who come and go show up by themselves.
  let pollTimer: NodeJS.Timeout | undefined
  const poll = async () => {
    if (closed || listeners.size === 0 || !runtime.configured) return
    await askTracker()
    if (!closed) publishList()
  }
  const startPolling = () => {
    if (pollTimer || closed) return
    pollTimer = setInterval(() => void poll(), refreshIntervalMs)
    pollTimer.unref()
  }
  const stopPolling = () => {
    clearInterval(pollTimer)
    pollTimer = undefined
  }

  // ---- downloads ----

  const rateSamples = new Map<string, { t: number; received: number }[]>()
  const rates = new Map<string, number>()

  const measure = (info: DownloadInfo) => {
    if (info.state !== 'running') {
      rateSamples.delete(info.id)
      rates.delete(info.id)
      return
    }
    const now = Date.now()
    const samples = rateSamples.get(info.id) ?? []
    samples.push({ t: now, received: info.received })
    while (samples.length > 2 && now - (samples[0] as { t: number }).t > RATE_WINDOW_MS) samples.shift()
    rateSamples.set(info.id, samples)
    const first = samples[0] as { t: number; received: number }
    if (now > first.t && info.received >= first.received) rates.set(info.id, ((info.received - first.received) * 1000) / (now - first.t))
  }

  const toDownload = (info: DownloadInfo): Download => bridgeDownloadFromRuntime(info, rates.get(info.id))

  const findDownload = (id: string): DownloadInfo => {
    const info = runtime.downloads.get(id)
    if (!info) throw new BridgeError(BridgeErrorCode.invalidState, 'There is no such download.')
    return info
  }

  // ---- events in ----

  const onRuntimeEvent = (event: RuntimeEvent) => {
    switch (event.type) {
      case 'heartbeat_failed':
        addError('tracker', event.error.code, `A heartbeat failed: ${event.error.message}`)
        break
      case 'tracker_error':
        addError('tracker', event.error.code, event.error.message)
        break
      case 'tracker_rejected':
        addError('tracker', event.error.code, event.error.message)
        break
      case 'email_taken':
        addError('tracker', 'email_taken', event.message)
        break
      case 'peer_status':
      case 'friends_changed':
        publishChanges()
        return
      case 'publishing':
        emit({ type: 'publishing', publishing: event.publishing })
        return
      case 'download':
        measure(event.download)
        if (event.download.state === 'failed' && event.download.error) {
          addError('download', event.download.error.code, `${event.download.path} from ${event.download.email}: ${event.download.error.message}`)
        }
        emit({ type: 'download', download: toDownload(event.download) })
        if (event.download.state !== 'failed') return
        break
    }
    emitStatus()
  }
  const detach = runtime.events.subscribe(onRuntimeEvent)

  // ---- methods ----

  const requireConfigured = () => {
    if (!runtime.configured) throw new BridgeError(BridgeErrorCode.notConfigured, 'Finish the setup first: your e-mail, the folder to share and the tracker.')
  }

  const builtInDefaults: SettingsDefaults = { shareRoot: join(homedir(), 'Flashback'), trackerFingerprint: null, bindAll: false, access: 'open' }
  let settingsQueue: Promise<unknown> = Promise.resolve()

  const saveSettings = async (next: Settings): Promise<BridgeResult<'setSettings'>> => {
    const problem = settingsProblems(next)[0]
    if (problem) throw new BridgeError(ErrorCode.validation, problem.message, problem.field)
    const shareRoot = next.shareRoot.trim()
    const folder = await stat(shareRoot).catch(() => null)
    if (!folder) throw new BridgeError(ErrorCode.validation, `The folder ${shareRoot} does not exist on this computer.`, 'shareRoot')
    if (!folder.isDirectory()) throw new BridgeError(ErrorCode.validation, `${shareRoot} is a file, not a folder.`, 'shareRoot')
    const wanted: Settings = { ...next, email: next.email.trim(), shareRoot, trackerUrl: next.trackerUrl.trim() }
    const unchanged = sameSettings(settingsFromRuntime(runtime), wanted)
    if (!unchanged) {
      await runtime.updateSettings({
        email: wanted.email,
        shareRoot: wanted.shareRoot,
        trackerUrl: wanted.trackerUrl,
        // null: trust the system CAs (or a CA file set from the command line, which the form does not show).
        trackerFingerprint: wanted.trackerFingerprint,
        bindAll: wanted.bindAll,
        access: wanted.access,
      })
    }
    const saved = settingsFromRuntime(runtime) as Settings
    if (!unchanged) emit({ type: 'settings', settings: saved })
    if (!unchanged || !runtime.running) {
      try {
        // Resolves once the first round at the tracker is over (registered, email_taken, retrying…).
        await (runtime.running ? runtime.restart() : runtime.start())
      } catch (err) {
        const message = `Your settings are saved, but the peer could not start: ${describeError(err)}`
        addError('settings', toBridgeErrorFromRuntime(err).code, message)
        emitStatus()
        throw new BridgeError(ErrorCode.unavailable, message)
      }
      // A new identity or tracker: the old listing and visit results say nothing about the new situation.
      visits.clear()
      listedAt = 0
    }
    emitStatus()
    return { settings: saved, status: status() }
  }

  const handlers: Handlers = {
    getInfo: async () => ({
      mode: shell.mode,
      version: shell.version.slice(0, 64),
      canChooseFolder: shell.chooseFolder !== undefined,
      canReveal: shell.revealFile !== undefined,
      downloadsFolder: runtime.downloadDir.slice(0, 4096),
    }),

    getSettings: async () => ({ settings: settingsFromRuntime(runtime), defaults: { ...builtInDefaults, ...options.defaults } }),

    setSettings: (next) => {
      // One save at a time: two quick saves must not interleave their restarts.
      const run = settingsQueue.catch(() => {}).then(() => saveSettings(next))
      settingsQueue = run
      return run
    },

    chooseShareFolder: async () => {
      if (!shell.chooseFolder) {
        throw new BridgeError(BridgeErrorCode.unsupported, 'This browser cannot open a folder picker on the computer running Flashback. Type the full path of the folder instead.')
      }
      return { path: await shell.chooseFolder() }
    },

    getStatus: async () => status(),

    listMyFiles: async (args) => {
      requireConfigured()
      if (!runtime.running) throw new BridgeError(ErrorCode.unavailable, 'Your peer is not running yet, so your house cannot be shown.')
      return runtime.listMyFiles(args.path, { ...(args.limit === undefined ? {} : { limit: args.limit }), ...(args.cursor === undefined ? {} : { cursor: args.cursor }) })
    },

    listPeers: async (args) => {
      requireConfigured()
      if (args.refresh) {
        visits.clear()
        await Promise.all([askTracker(), runtime.running ? runtime.checkFriends().catch(() => undefined) : undefined])
      } else if (Date.now() - listedAt > maxAgeMs) {
        await askTracker()
      }
      const views = peerViews()
      publishList()
      return peersReply(views)
    },

    addFriend: async (args) => {
      requireConfigured()
      const me = runtime.status().email
      if (me && lower(me) === lower(args.email)) throw new BridgeError(ErrorCode.badRequest, 'You cannot add yourself as a friend.')
      const friend = await runtime.addFriend(args.email, args.nickname === undefined ? {} : { nickname: args.nickname })
      const view = peerViews().find((p) => lower(p.email) === lower(friend.email))
      if (!view) throw new BridgeError(ErrorCode.internal, `${friend.email} was added but is missing from the list.`)
      return { peer: view }
    },

    removeFriend: async (args) => {
      requireConfigured()
      return { removed: await runtime.removeFriend(args.email) }
    },

    listRemoteFiles: async (args) => {
      requireConfigured()
      return visit(args.email, () =>
        runtime.listFolder(args.email, args.path, {
          ...(args.limit === undefined ? {} : { limit: args.limit }),
          ...(args.cursor === undefined ? {} : { cursor: args.cursor }),
        }),
      )
    },

    readRemoteText: async (args) => {
      requireConfigured()
      const reply = await visit(args.email, () => runtime.readText(args.email, args.path))
      return { path: args.path, mime: reply.mime.slice(0, 255), size: reply.size, text: reply.text }
    },

    startDownload: async (args) => {
      requireConfigured()
      const info = await runtime.startDownload({ email: args.email, path: args.path })
      return toDownload(info)
    },

    listDownloads: async () => ({
      downloads: runtime.downloads
        .list()
        .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
        .slice(0, 1000)
        .map(toDownload),
    }),

    cancelDownload: async (args) => {
      const info = findDownload(args.id)
      const refusal = downloadActionRefusal('cancel', info.state)
      if (refusal) throw new BridgeError(BridgeErrorCode.invalidState, refusal)
      runtime.downloads.cancel(args.id)
      // The part file is kept; answer once the transfer really stopped.
      return toDownload(await runtime.downloads.wait(args.id))
    },

    resumeDownload: async (args) => {
      const info = findDownload(args.id)
      const refusal = downloadActionRefusal('resume', info.state)
      if (refusal) throw new BridgeError(BridgeErrorCode.invalidState, refusal)
      return toDownload(runtime.downloads.resume(args.id))
    },

    revealDownload: async (args) => {
      const info = findDownload(args.id)
      const file = info.state === 'completed' ? info.dest : `${info.dest}.part`
      if (!shell.revealFile) {
        throw new BridgeError(BridgeErrorCode.unsupported, `This browser cannot open folders on the computer running Flashback. The file is at ${file}`)
      }
      if (!(await stat(file).catch(() => null))?.isFile()) {
        throw new BridgeError(BridgeErrorCode.invalidState, `${info.path.slice(info.path.lastIndexOf('/') + 1)} is no longer at ${file}.`)
      }
      await shell.revealFile(file)
      return { ok: true as const }
    },

    openExternal: async (args) => {
      if (!shell.openExternal) return { opened: false }
      return { opened: await shell.openExternal(args.url) }
    },

    searchFiles: async (args) => {
      requireConfigured()
      let term: { name: string } | { sha256: string }
      if ('name' in args) {
        const name = args.name.trim()
        if (name.length < 2) throw new BridgeError(ErrorCode.validation, 'Type at least 2 characters of the name.', 'name')
        term = { name }
      } else term = { sha256: args.sha256.toLowerCase() }
      const page = await runtime.searchRegistry(term, {
        limit: args.limit ?? SEARCH_PAGE_DEFAULT,
        ...(args.cursor === undefined ? {} : { cursor: args.cursor }),
      })
      const me = runtime.status().email ?? runtime.settings().email ?? null
      const results = page.hits.slice(0, args.limit ?? SEARCH_PAGE_DEFAULT).map((hit) => bridgeSearchResult(hit, me))
      return page.nextCursor ? { results, nextCursor: page.nextCursor.slice(0, 2048) } : { results }
    },

    getPublishing: async () => runtime.publishing(),

    setPublishing: async (args) => {
      requireConfigured()
      return runtime.setPublishing(args.enabled)
    },
  }

  const method = <N extends BridgeChannelName>(name: N) =>
    async (args?: unknown): Promise<BridgeResult<N>> => {
      const checked = checkBridgeArgs(name, args)
      try {
        return await (handlers[name] as (a: BridgeArgs<N>) => Promise<BridgeResult<N>>)(checked)
      } catch (err) {
        const bridgeError = toBridgeErrorFromRuntime(err)
        if (bridgeError.internal) logger.error({ err, method: name }, 'a bridge call failed')
        throw bridgeError
      }
    }

  const remoteFileUrl =
    shell.remoteFileUrl ?? (shell.mode === 'web' ? webRemoteFileUrl : electronRemoteFileUrl)

  return {
    ...bridgeMethodsFrom(method),
    subscribe(listener) {
      if (closed) return () => {}
      listeners.add(listener)
      startPolling()
      return () => {
        listeners.delete(listener)
        if (listeners.size === 0) stopPolling()
      }
    },
    remoteFileUrl: (email, path) => remoteFileUrl(email, path),
    close() {
      if (closed) return
      closed = true
      detach()
      stopPolling()
      listeners.clear()
    },
  }
}
