/**
 * PeerRuntime: one peer, headless. It owns the profile folder, runs the peer server on the share root,
 * keeps the peer present at the tracker (register, ready, heartbeats, self-healing, offline on stop),
 * health-checks friends, visits other peers and downloads from them, and tells listeners about every
 * change through a typed event stream. The Electron main process, web mode and the CLI all stand on it.
 *
 *   const runtime = await createPeerRuntime({ profileDir })
 *   runtime.events.subscribe((event) => …)
 *   await runtime.start()                      // server + tracker + friends
 *   await runtime.listFolder('bob@example.com', 'notes')
 *   await runtime.stop()                       // offline, close everything
 *
 * Visiting (list, read, fetch, download) also works without start(): a one-shot CLI command uses the
 * profile's identity and tracker settings without running a server.
 */
import { join } from 'node:path'
import { homedir } from 'node:os'
import {
  type AccessPolicy,
  type FileListing,
  type FriendInfo,
  type PeerBroadcast,
  type PeerStatusReport,
  type PublishingStatus,
  type RuntimeStatus,
  type ServerStatus,
} from '@flashback/protocol'
import { normalizeFingerprint, type Identity } from '@flashback/identity'
import { startPeerServer, type PeerServerOptions } from '../server/peer-server.js'
import { RegistryClient, type SearchTerm } from '../publish/registry-client.js'
import { PeerHttpError, ProfileError, RuntimeError, TrackerUnreachableError, toErrorInfo } from './errors.js'
import { RuntimeEvents } from './events.js'
import { FriendsMonitor } from './friends.js'
import { DownloadManager, type StartDownloadOptions } from './downloads.js'
import { type DownloadResult } from './download-file.js'
import { silentLogger, type Logger } from './logger.js'
import { PeerClient, type PeerDownloadOptions, type ReadTextResult, type RemoteFetchOptions, type RemoteFile } from './peer-client.js'
import { PeerConnector } from './peer-connector.js'
import { TrackerPresence, type PresenceTiming } from './presence.js'
import { HASH_CACHE_FILE, Profile, type ProfileConfig, type ProfileConfigPatch } from './profile.js'
import { Publishing } from './publishing.js'
import { TrackerClient, trackerVerification } from './tracker-client.js'
import pkg from '../../package.json' with { type: 'json' }

/** The version announced in the broadcast's capabilities. */
export const RUNTIME_VERSION: string = pkg.version

export interface RuntimeTiming extends PresenceTiming {
  /** Between two health checks of every friend (default 60 s). */
  friendCheckIntervalMs?: number
  /** One friend check gives up after this (default 15 s). */
  friendCheckTimeoutMs?: number
  /** Happy-Eyeballs delay before the next address is tried (default 250 ms). */
  staggerMs?: number
  /** TLS handshake limit per address (default 5 s). */
  connectTimeoutMs?: number
  /** Headers / idle body limit of requests to peers (default 30 s). */
  peerRequestTimeoutMs?: number
  /** Limit of one tracker request (default 15 s). */
  trackerRequestTimeoutMs?: number
  /** Least time between two progress events of one download (default 250 ms). */
  downloadProgressIntervalMs?: number
  /** Least time between two `publishing` events while the share is hashed (default 250 ms). */
  publishProgressIntervalMs?: number
}

/** What the runtime needs of a started peer server (startPeerServer's result fits). */
export interface RunningPeerServer {
  port: number
  addresses: string[]
  close(): Promise<void>
}

export interface PeerRuntimeOptions {
  /** The profile folder (absolute; created 0700 if missing). */
  profileDir: string
  /** Settings for this run only, on top of config.json (not saved). `null` removes one. */
  overrides?: ProfileConfigPatch
  logger?: Logger
  timing?: RuntimeTiming
  /** Serve dotfiles (default false). */
  showDotfiles?: boolean
  /** Starts the peer server (default: startPeerServer from ../server). */
  startServer?: (options: PeerServerOptions) => Promise<RunningPeerServer>
  /** Publish the share this run whatever the profile's `publish` setting says (the CLI's --publish), until `setPublishing`. */
  publish?: boolean
}

export interface StartOptions {
  /**
   * Fail (and stop again) unless the first round at the tracker ends `broadcasting`: the CLI's
   * "exit non-zero on an unreachable tracker at first start". Default false: keep retrying in the background.
   */
  requireTracker?: boolean
}

interface Clients {
  key: string
  identity: Identity
  tracker: TrackerClient
  /** The tracker's file registry (publishing and search), over the same identity and trust. */
  registry: RegistryClient
  connector: PeerConnector
  peers: PeerClient
}

interface Running {
  shareRoot: string
  server: RunningPeerServer
  serverStatus: ServerStatus
  presence: TrackerPresence
  friends: FriendsMonitor
  clients: Clients
}

export class PeerRuntime {
  readonly profile: Profile
  readonly events: RuntimeEvents
  readonly downloads: DownloadManager
  readonly #options: PeerRuntimeOptions
  readonly #publishing: Publishing
  /** This run's choice (--publish), until the setting is changed. */
  #publishThisRun: boolean | undefined
  readonly #logger: Logger
  readonly #timing: RuntimeTiming
  #clients: Clients | undefined
  #clientsPending: Promise<Clients> | undefined
  #running: Running | undefined
  #starting: Promise<RuntimeStatus> | undefined
  #stopping: Promise<void> | undefined
  #friendsReloadedAt = 0
  /** Announced after the server's own addresses (e.g. the public IP the matchmaker observed). */
  #extraAddresses: string[] = []

  private constructor(profile: Profile, options: PeerRuntimeOptions) {
    this.profile = profile
    this.#options = options
    this.#publishThisRun = options.publish
    this.#logger = options.logger ?? silentLogger
    this.#timing = options.timing ?? {}
    this.events = new RuntimeEvents(this.#logger)
    this.downloads = new DownloadManager({
      client: async () => (await this.#getClients()).peers,
      events: this.events,
      downloadDir: () => this.downloadDir,
      progressIntervalMs: this.#timing.downloadProgressIntervalMs ?? 250,
      logger: this.#logger,
    })
    this.#publishing = new Publishing({
      events: this.events,
      logger: this.#logger,
      cacheFile: join(profile.dir, HASH_CACHE_FILE),
      showDotfiles: options.showDotfiles ?? false,
      enabled: () => this.#publishEnabled(),
      ...(this.#timing.publishProgressIntervalMs === undefined ? {} : { progressEventIntervalMs: this.#timing.publishProgressIntervalMs }),
    })
  }

  /** Open (or create) the profile; nothing starts yet. */
  static async create(options: PeerRuntimeOptions): Promise<PeerRuntime> {
    const profile = await Profile.open(options.profileDir)
    // Overrides are checked now, so a bad flag fails before anything starts.
    if (options.overrides) profile.startConfig(options.overrides)
    return new PeerRuntime(profile, options)
  }

  // ---- settings ----

  /** The saved settings merged with this run's overrides. */
  settings(): ProfileConfig {
    const config = this.profile.config as Record<string, unknown>
    for (const [key, value] of Object.entries(this.#options.overrides ?? {})) {
      if (value === null) delete config[key]
      else if (value !== undefined) config[key] = value
    }
    return config as ProfileConfig
  }

  /** True when the settings start() needs are all there. */
  get configured(): boolean {
    try {
      this.profile.startConfig(this.#options.overrides)
      return true
    } catch {
      return false
    }
  }

  /**
   * Save settings (validated; `null` removes one). A running peer keeps its old settings until
   * `restart()`; clients for visiting are rebuilt on next use.
   */
  async updateSettings(patch: ProfileConfigPatch): Promise<ProfileConfig> {
    await this.profile.update(patch)
    return this.settings()
  }

  get downloadDir(): string {
    return this.settings().downloadDir ?? join(homedir(), 'Downloads')
  }

  /** This peer's identity (created on first use for the configured e-mail). */
  async identity(): Promise<Identity> {
    return (await this.#getClients()).identity
  }

  // ---- lifecycle ----

  get running(): boolean {
    return this.#running !== undefined
  }

  status(): RuntimeStatus {
    const settings = this.settings()
    const identity = this.#running?.clients.identity ?? this.#clients?.identity
    const status: RuntimeStatus = {
      running: this.#running !== undefined,
      tracker: this.#running?.presence.status ?? { ...(settings.trackerUrl ? { url: settings.trackerUrl } : {}), state: 'stopped' },
    }
    const email = identity?.email ?? settings.email
    if (email) status.email = email
    if (identity) status.fingerprint = identity.fingerprint
    if (this.#running) status.server = structuredClone(this.#running.serverStatus)
    return status
  }

  /**
   * Start the peer: the server on the share root, presence at the tracker, friends' health checks.
   * Resolves with the status once the first tracker round is over (see TrackerPresence.start).
   */
  start(options: StartOptions = {}): Promise<RuntimeStatus> {
    if (this.#running) return Promise.resolve(this.status())
    if (this.#starting) return this.#starting
    this.#starting = this.#start(options).finally(() => {
      this.#starting = undefined
    })
    return this.#starting
  }

  async #start(options: StartOptions): Promise<RuntimeStatus> {
    await this.#stopping
    const config = this.profile.startConfig(this.#options.overrides)
    const clients = await this.#getClients()
    const { identity } = clients
    const startServer = this.#options.startServer ?? startPeerServer
    const server = await startServer({
      root: config.shareRoot,
      identity: { certPem: identity.certPem, keyPem: identity.keyPem, email: identity.email, fingerprint: identity.fingerprint },
      bindAll: config.bindAll,
      port: config.port,
      access: config.access,
      showDotfiles: this.#options.showDotfiles ?? false,
      lookupIdentity: (email) => this.#lookupIdentity(email),
      friends: { isFriend: (email, fingerprint) => this.#isFriend(email, fingerprint) },
      logger: this.#logger,
    })
    const serverStatus: ServerStatus = { port: server.port, addresses: [...server.addresses], access: config.access, bindAll: config.bindAll }
    this.#logger.info({ port: server.port, addresses: server.addresses, fingerprint: identity.fingerprint, email: identity.email, access: config.access }, 'peer ready')
    this.events.emit({ type: 'server_ready', port: server.port, addresses: [...server.addresses] })

    const presence = new TrackerPresence({
      tracker: clients.tracker,
      events: this.events,
      logger: this.#logger,
      announce: () => ({
        port: serverStatus.port,
        // A peer bound to every interface of a machine without a network still has loopback.
        addresses: [
          ...(serverStatus.addresses.length > 0 ? serverStatus.addresses : ['127.0.0.1']),
          ...this.#extraAddresses.filter((a) => !serverStatus.addresses.includes(a)),
        ].slice(0, 32),
        capabilities: { version: RUNTIME_VERSION, access: serverStatus.access },
      }),
      onStatusChange: () => this.#emitStatus(),
      ...pick(this.#timing, ['heartbeatMaxMs', 'backoffBaseMs', 'backoffMaxMs', 'offlineTimeoutMs']),
    })
    const friends = new FriendsMonitor({
      profile: this.profile,
      events: this.events,
      logger: this.#logger,
      check: async (friend, signal) => {
        const reply = await clients.peers.health(friend.email, { signal })
        return { address: reply.address }
      },
      ...(this.#timing.friendCheckIntervalMs === undefined ? {} : { intervalMs: this.#timing.friendCheckIntervalMs }),
      ...(this.#timing.friendCheckTimeoutMs === undefined ? {} : { checkTimeoutMs: this.#timing.friendCheckTimeoutMs }),
    })
    this.#running = { shareRoot: config.shareRoot, server, serverStatus, presence, friends, clients }
    this.#emitStatus()

    let first
    try {
      first = await presence.start()
      friends.start()
    } catch (err) {
      await this.#teardown()
      throw err
    }
    if (options.requireTracker && first.state !== 'broadcasting') {
      const error = first.error ?? { code: 'tracker_unreachable', message: 'the tracker did not accept our broadcast' }
      // Not stop(): it waits for this very start to finish.
      await this.#teardown()
      if (first.state === 'retrying') throw new TrackerUnreachableError(error.message)
      throw new RuntimeError(first.state === 'email_taken' ? 'email_taken' : error.code, error.message)
    }
    // Hashing runs in the background; a publisher that cannot start is reported, never fatal.
    if (this.#publishEnabled()) await this.#publishing.start(config.shareRoot, clients.registry)
    return this.status()
  }

  /** Tell the tracker we are leaving, stop checks and downloads, close the server and every connection. */
  stop(): Promise<void> {
    if (this.#stopping) return this.#stopping
    this.#stopping = this.#stop().finally(() => {
      this.#stopping = undefined
    })
    return this.#stopping
  }

  async #stop(): Promise<void> {
    const starting = this.#starting
    if (starting) {
      // A start waiting on a slow tracker: stopping the presence ends its first round at once.
      await this.#running?.presence.stop().catch(() => {})
      await starting.catch(() => {})
    }
    await this.#teardown()
  }

  async #teardown(): Promise<void> {
    const running = this.#running
    // Before the broadcast ends: the publisher saves its hash cache and stops syncing.
    if (this.#publishing.active) await this.#publishing.stop()
    await this.downloads.stop()
    if (running) {
      await running.friends.stop()
      await running.presence.stop()
      await running.server.close()
      this.#running = undefined
    }
    await this.#closeClients()
    if (running) {
      this.#emitStatus()
      this.events.emit({ type: 'stopped' })
      this.#logger.info({}, 'peer stopped')
    }
  }

  /** Stop and start again with the current settings. */
  async restart(options: StartOptions = {}): Promise<RuntimeStatus> {
    await this.stop()
    return this.start(options)
  }

  /** Send a fresh broadcast now (e.g. the network changed). */
  rebroadcast(): void {
    this.#running?.presence.rebroadcast()
  }

  /**
   * Addresses announced after the server's own, as the last candidates (the public IP the tracker's
   * matchmaker observed, reached through a forwarded port); a change is broadcast at once.
   */
  setExtraAddresses(addresses: readonly string[]): void {
    const next = [...new Set(addresses)]
    if (next.length === this.#extraAddresses.length && next.every((a, i) => a === this.#extraAddresses[i])) return
    this.#extraAddresses = next
    this.rebroadcast()
  }

  // ---- the tracker ----

  /** Everyone online at the tracker (all pages). */
  async onlinePeers(options: { signal?: AbortSignal } = {}): Promise<PeerBroadcast[]> {
    return (await this.#getClients()).tracker.list(options)
  }

  /** One peer's broadcast, or undefined when it is not online. */
  async lookupPeer(email: string, options: { signal?: AbortSignal } = {}): Promise<PeerBroadcast | undefined> {
    return (await this.#getClients()).tracker.lookup(email, options.signal)
  }

  // ---- the file registry ----

  /** Publishing my share: the setting, the state and the hashing progress. */
  publishing(): PublishingStatus {
    return this.#publishing.status()
  }

  /**
   * Turn publishing on or off: saved in the profile (replacing this run's override) and applied at once while
   * the peer runs (the publisher starts or stops; the entries stay at the tracker when it stops).
   */
  async setPublishing(enabled: boolean): Promise<PublishingStatus> {
    await this.updateSettings({ publish: enabled })
    this.#publishThisRun = undefined
    const running = this.#running
    if (running && !this.#stopping && enabled) await this.#publishing.start(running.shareRoot, running.clients.registry)
    else if (!enabled && this.#publishing.active) await this.#publishing.stop()
    else this.#publishing.emitStatus()
    return this.#publishing.status()
  }

  /** One page of the tracker's file registry by name or SHA-256 (online publishers first). */
  async searchRegistry(term: SearchTerm, options: { limit?: number; cursor?: string; signal?: AbortSignal } = {}) {
    return (await this.#getClients()).registry.searchPage(term, options)
  }

  // ---- friends ----

  friends(): FriendInfo[] {
    return this.profile.friends
  }

  /** Each friend's last health check (`checking` until the first one ends; none while stopped). */
  friendStatuses(): PeerStatusReport[] {
    return this.#running?.friends.statuses() ?? this.profile.friends.map((f) => ({ email: f.email, status: 'checking' as const }))
  }

  /**
   * Add (or update) a friend. The fingerprint is learned from the tracker unless given (e.g. read out
   * over the phone); the friend is then health-checked at once when the peer runs.
   */
  async addFriend(email: string, options: { nickname?: string; fingerprint?: string } = {}): Promise<FriendInfo> {
    const address = email.trim()
    if (!/^[^\s@]+@[^\s@]+$/.test(address) || address.length > 254) {
      throw new RuntimeError('invalid_email', `${JSON.stringify(email)} is not an e-mail address`)
    }
    let fingerprint: string | undefined
    let canonicalEmail = address
    if (options.fingerprint !== undefined) {
      fingerprint = normalizeFingerprint(options.fingerprint)
      if (!fingerprint) throw new RuntimeError('invalid_fingerprint', `${JSON.stringify(options.fingerprint)} is not a SHA-256 fingerprint`)
    } else {
      const reply = await (await this.#getClients()).tracker.identity(address)
      if (!reply) throw new RuntimeError('not_registered', `${address} is not registered with the tracker`)
      fingerprint = reply.fingerprint
      canonicalEmail = reply.email
    }
    const existing = this.profile.getFriend(canonicalEmail)
    const friend: FriendInfo = { email: canonicalEmail, fingerprint, addedAt: existing?.addedAt ?? new Date().toISOString() }
    const nickname = options.nickname?.trim() ?? existing?.nickname
    if (nickname) friend.nickname = nickname.slice(0, 100)
    const friends = await this.profile.putFriend(friend)
    this.events.emit({ type: 'friends_changed', friends })
    // A new fingerprint for someone already known: the old pooled connection is pinned to the old one.
    if (existing && existing.fingerprint !== fingerprint) await this.#clients?.connector.invalidate(canonicalEmail, { forgetAddress: true })
    if (this.#running) void this.#running.friends.checkFriend(friend)
    return friend
  }

  async removeFriend(email: string): Promise<boolean> {
    const removed = await this.profile.removeFriend(email)
    if (removed) {
      this.#running?.friends.forget(email)
      this.events.emit({ type: 'friends_changed', friends: this.profile.friends })
    }
    return removed
  }

  /** Health-check every friend now (joins a round under way). */
  async checkFriends(): Promise<PeerStatusReport[]> {
    if (!this.#running) throw new RuntimeError('not_running', 'friends are health-checked while the peer runs')
    return this.#running.friends.checkAll()
  }

  // ---- visiting peers ----

  async health(email: string, options: { signal?: AbortSignal } = {}) {
    return (await this.#getClients()).peers.health(email, options)
  }

  /** One page of a peer's folder (`''` = the root). */
  async listFolder(email: string, path = '', options: { limit?: number; cursor?: string; signal?: AbortSignal } = {}): Promise<FileListing> {
    return (await this.#getClients()).peers.listFolder(email, path, options)
  }

  /** Every page of a peer's folder. */
  async *listFolderPages(email: string, path = '', options: { limit?: number; signal?: AbortSignal } = {}): AsyncGenerator<FileListing> {
    yield* (await this.#getClients()).peers.listFolderPages(email, path, options)
  }

  /** The text of a peer's text file (≤ 10 MiB). */
  async readText(email: string, path: string, options: { signal?: AbortSignal } = {}): Promise<ReadTextResult> {
    return (await this.#getClients()).peers.readText(email, path, options)
  }

  /** Raw `GET`/`HEAD` of a peer's file with Range passed through, streaming (for the protocol handler and proxy). */
  async fetchRemote(email: string, path: string, options: RemoteFetchOptions = {}): Promise<RemoteFile> {
    return (await this.#getClients()).peers.fetch(email, path, options)
  }

  /** Download a peer's file to `dest` now (resumes a part file there); the CLI's `get`. */
  async download(email: string, path: string, dest: string, options: PeerDownloadOptions = {}): Promise<DownloadResult> {
    return (await this.#getClients()).peers.download(email, path, dest, options)
  }

  /** A background download with progress events (the UI's downloads). */
  startDownload(options: StartDownloadOptions) {
    return this.downloads.start(options)
  }

  /** My own share as visitors see it, through my own server on loopback. */
  async listMyFiles(path = '', options: { limit?: number; cursor?: string; signal?: AbortSignal } = {}): Promise<FileListing> {
    if (!this.#running) throw new RuntimeError('not_running', 'the peer is not running')
    return this.#running.clients.peers.listFolder(this.#running.clients.identity.email, path, options)
  }

  // ---- internals ----

  #publishEnabled(): boolean {
    return this.#publishThisRun ?? this.settings().publish === true
  }

  #emitStatus(): void {
    this.events.emit({ type: 'status', status: this.status() })
  }

  /** For the server's `registered` policy: the tracker's fingerprint for an e-mail (the server caches it). */
  async #lookupIdentity(email: string): Promise<string | undefined> {
    const clients = this.#running?.clients ?? (await this.#getClients())
    if (email.toLowerCase() === clients.identity.email.toLowerCase()) return clients.identity.fingerprint
    const reply = await clients.tracker.identity(email)
    return reply?.fingerprint
  }

  /** For the server's `friends` policy; friends.json is re-read (at most every 2 s) so CLI changes apply at once. */
  async #isFriend(email: string, fingerprint: string): Promise<boolean> {
    const identity = this.#running?.clients.identity
    if (identity && identity.email.toLowerCase() === email.toLowerCase() && identity.fingerprint === fingerprint) return true
    if (Date.now() - this.#friendsReloadedAt > 2000) {
      this.#friendsReloadedAt = Date.now()
      await this.profile.reloadFriends().catch(() => false)
    }
    return this.profile.getFriend(email)?.fingerprint === fingerprint
  }

  /** The tracker client, connector and peer client for the current settings (built on first use). */
  async #getClients(): Promise<Clients> {
    if (this.#running) return this.#running.clients
    const settings = this.settings()
    if (!settings.email) throw new ProfileError('the profile has no email yet: set the e-mail address this peer is known by', { field: '/email' })
    if (!settings.trackerUrl) throw new ProfileError("the profile has no trackerUrl yet: set the tracker's https:// URL", { field: '/trackerUrl' })
    const key = JSON.stringify([settings.email, settings.trackerUrl, settings.trackerFingerprint, settings.trackerCaFile, settings.keyType])
    if (this.#clients?.key === key) return this.#clients
    if (this.#clientsPending) return this.#clientsPending
    this.#clientsPending = (async () => {
      await this.#closeClients()
      const identity = await this.profile.ensureIdentity(settings.email as string)
      const verify = await trackerVerification(settings)
      const tracker = new TrackerClient({
        url: settings.trackerUrl as string,
        identity: { certPem: identity.certPem, keyPem: identity.keyPem, email: identity.email },
        verify,
        ...(this.#timing.trackerRequestTimeoutMs === undefined ? {} : { requestTimeoutMs: this.#timing.trackerRequestTimeoutMs }),
      })
      const registry = new RegistryClient({
        url: settings.trackerUrl as string,
        identity: { certPem: identity.certPem, keyPem: identity.keyPem },
        verify,
        ...(this.#timing.trackerRequestTimeoutMs === undefined ? {} : { requestTimeoutMs: this.#timing.trackerRequestTimeoutMs }),
      })
      const connector = new PeerConnector({
        client: { certPem: identity.certPem, keyPem: identity.keyPem },
        tracker,
        cache: this.profile,
        expectedFingerprint: (email) => this.profile.getFriend(email)?.fingerprint,
        self: () => (this.#running ? { email: identity.email, fingerprint: identity.fingerprint, port: this.#running.serverStatus.port } : undefined),
        logger: this.#logger,
        ...(this.#timing.staggerMs === undefined ? {} : { staggerMs: this.#timing.staggerMs }),
        ...(this.#timing.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: this.#timing.connectTimeoutMs }),
        ...(this.#timing.peerRequestTimeoutMs === undefined ? {} : { requestTimeoutMs: this.#timing.peerRequestTimeoutMs }),
      })
      const clients: Clients = { key, identity, tracker, registry, connector, peers: new PeerClient(connector) }
      this.#clients = clients
      return clients
    })().finally(() => {
      this.#clientsPending = undefined
    })
    return this.#clientsPending
  }

  async #closeClients(): Promise<void> {
    const clients = this.#clients
    this.#clients = undefined
    if (!clients) return
    await clients.connector.close()
    await clients.tracker.close()
    await clients.registry.close()
  }
}

function pick<T extends object, K extends keyof T>(source: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {}
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key]
  return out
}

/** Open a profile and build its runtime (nothing starts until `start()`). */
export function createPeerRuntime(options: PeerRuntimeOptions): Promise<PeerRuntime> {
  return PeerRuntime.create(options)
}

/** Maps runtime errors to the CLI's exit codes: 1 usage/input, 2 unreachable/not found, 3 refused. */
export function exitCodeFor(err: unknown): 1 | 2 | 3 {
  const code = (err as { code?: unknown })?.code
  if (err instanceof PeerHttpError) {
    if (err.status === 403 || err.status === 409) return 3
    if (err.status === 404) return 2
    return 1
  }
  switch (code) {
    case 'email_taken':
    case 'rejected':
    case 'forbidden':
    case 'certificate_mismatch':
    case 'email_mismatch':
    case 'certificate_expired':
    case 'invalid_certificate':
    case 'fingerprint_changed':
    case 'impostor':
    case 'tracker_untrusted':
      return 3
    case 'tracker_unreachable':
    case 'peer_offline':
    case 'peer_unreachable':
    case 'not_registered':
    case 'not_online':
    case 'not_found':
      return 2
    default:
      return 1
  }
}

export { toErrorInfo }
export type { AccessPolicy }
