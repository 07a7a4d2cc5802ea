/**
 * The profile folder: everything one peer keeps between runs.
 *
 *   <profile>/identity/cert.pem, key.pem   the peer's certificate and key (key 0600), via @flashback/identity
 *   <profile>/config.json                  settings (e-mail, share root, tracker, binding, access, port)
 *   <profile>/friends.json                 friends: e-mail, fingerprint, nickname
 *   <profile>/peers.json                   cache: the address that last answered for each peer
 *   <profile>/hash-cache.json              cache: SHA-256 of shared files by path, size and mtime (publishing)
 *
 * Every file is validated with TypeBox when loaded (errors name the file and the field) and written
 * atomically (temp file + fsync + rename), so a crash never leaves half a file.
 */
import { mkdir, readFile, rename, stat } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { Type, type Static, type TSchema } from 'typebox'
import Value from 'typebox/value'
import {
  loadIdentity,
  loadOrCreateIdentity,
  normalizeFingerprint,
  writeFileAtomic,
  type Identity,
} from '@flashback/identity'
import { AccessPolicy, FriendInfo } from '@flashback/protocol'
import { ProfileError } from './errors.js'

export const CONFIG_FILE = 'config.json'
export const FRIENDS_FILE = 'friends.json'
export const PEERS_FILE = 'peers.json'
/** The publisher's SHA-256 cache (path + size + mtime → hash), so a restart hashes only what changed. */
export const HASH_CACHE_FILE = 'hash-cache.json'
export const IDENTITY_DIR = 'identity'
/** The address cache keeps at most this many peers (the least recently used go first). */
export const PEER_CACHE_MAX = 1000

const Fingerprint = Type.String({ pattern: '^[0-9a-f]{64}$' })
const AbsolutePath = Type.String({ minLength: 1, maxLength: 4096 })

/** `config.json`. Every field is optional on disk: a new profile starts empty and is filled by setup. */
export const ProfileConfig = Type.Object(
  {
    version: Type.Optional(Type.Literal(1)),
    email: Type.Optional(Type.String({ format: 'email', minLength: 3, maxLength: 254 })),
    /** The one folder this peer shares (absolute). */
    shareRoot: Type.Optional(AbsolutePath),
    /** `https://host:port` of the relay tracker. */
    trackerUrl: Type.Optional(Type.String({ minLength: 8, maxLength: 2048 })),
    /** The tracker certificate's SHA-256 (pinned); or: */
    trackerFingerprint: Type.Optional(Fingerprint),
    /** A PEM file with the CA (or the certificate itself) that signed the tracker's certificate. Neither: system CAs. */
    trackerCaFile: Type.Optional(AbsolutePath),
    /** Listen on every interface instead of 127.0.0.1 only. */
    bindAll: Type.Optional(Type.Boolean()),
    /** Who may visit; default `open` on loopback, `registered` with bindAll. */
    access: Type.Optional(AccessPolicy),
    /** The peer server's port; 0 (default) lets the OS choose. */
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    /** Where downloads go when no destination is given. */
    downloadDir: Type.Optional(AbsolutePath),
    /** Publish the share to the tracker's file registry while the peer runs (hashed in the background). */
    publish: Type.Optional(Type.Boolean()),
    /** Key type of a new identity (default p256; Chromium cannot use ed25519 certificates). */
    keyType: Type.Optional(Type.Union([Type.Literal('p256'), Type.Literal('ed25519')])),
  },
  { additionalProperties: false },
)
export type ProfileConfig = Static<typeof ProfileConfig>
/** A settings change: a value sets the field, `null` removes it. */
export type ProfileConfigPatch = { [K in Exclude<keyof ProfileConfig, 'version'>]?: ProfileConfig[K] | null }

const FriendsFile = Type.Object(
  {
    version: Type.Literal(1),
    friends: Type.Array(FriendInfo, { maxItems: 10000 }),
  },
  { additionalProperties: false },
)

export const CachedPeerAddress = Type.Object({
  fingerprint: Fingerprint,
  address: Type.String({ minLength: 2, maxLength: 45 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  at: Type.String({ format: 'date-time' }),
})
export type CachedPeerAddress = Static<typeof CachedPeerAddress>

const PeersFile = Type.Object({
  version: Type.Literal(1),
  peers: Type.Record(Type.String({ maxLength: 254 }), CachedPeerAddress),
})

/** The settings a running peer needs, all present. */
export interface StartConfig {
  email: string
  shareRoot: string
  trackerUrl: string
  trackerFingerprint: string | undefined
  trackerCaFile: string | undefined
  bindAll: boolean
  access: AccessPolicy
  port: number
}

/** The first schema violation of `value`, as `<file>: <field> <problem>`. */
function validate<T extends TSchema>(schema: T, value: unknown, file: string): Static<T> {
  if (Value.Check(schema, value)) return value as Static<T>
  const first = [...Value.Errors(schema, value)][0]
  let field = first?.instancePath || '/'
  let problem = first?.message ?? 'is invalid'
  const params = (first?.params ?? {}) as { additionalProperties?: string[]; requiredProperties?: string[] }
  if (first?.keyword === 'boolean' && first.instancePath) {
    // TypeBox reports an additional property as the `false` schema it meets at that path.
    problem = 'is not a known setting'
  } else if (first?.keyword === 'additionalProperties' && params.additionalProperties?.length) {
    field = `${field === '/' ? '' : field}/${params.additionalProperties[0]}`
    problem = 'is not a known setting'
  } else if (first?.keyword === 'required' && params.requiredProperties?.length) {
    field = `${field === '/' ? '' : field}/${params.requiredProperties[0]}`
    problem = 'is required'
  }
  throw new ProfileError(`${file}: ${field} ${problem}`, { field, file })
}

async function readJson(path: string): Promise<unknown | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ProfileError(`cannot read ${path}: ${(err as Error).message}`, { file: path, cause: err })
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ProfileError(`${path} is not valid JSON: ${(err as Error).message}`, { file: path, cause: err })
  }
}

/** Checks that need more than a schema: absolute paths, an https URL, one way to trust the tracker. */
function checkConfigSemantics(config: ProfileConfig, file: string): void {
  for (const field of ['shareRoot', 'trackerCaFile', 'downloadDir'] as const) {
    const value = config[field]
    if (value !== undefined && !isAbsolute(value)) {
      throw new ProfileError(`${file}: /${field} must be an absolute path, not ${JSON.stringify(value)}`, { field: `/${field}`, file })
    }
  }
  if (config.trackerUrl !== undefined) {
    let url: URL
    try {
      url = new URL(config.trackerUrl)
    } catch {
      throw new ProfileError(`${file}: /trackerUrl is not a URL: ${JSON.stringify(config.trackerUrl)}`, { field: '/trackerUrl', file })
    }
    if (url.protocol !== 'https:') {
      throw new ProfileError(`${file}: /trackerUrl must be an https:// URL (the tracker speaks mutual TLS only)`, { field: '/trackerUrl', file })
    }
    if (url.username || url.password || url.search || url.hash) {
      throw new ProfileError(`${file}: /trackerUrl must not carry credentials, a query or a fragment`, { field: '/trackerUrl', file })
    }
  }
  if (config.trackerFingerprint !== undefined && config.trackerCaFile !== undefined) {
    throw new ProfileError(`${file}: set /trackerFingerprint or /trackerCaFile, not both`, { field: '/trackerCaFile', file })
  }
  if (config.bindAll === true && config.access === 'open') {
    throw new ProfileError(
      `${file}: /access "open" is only allowed on loopback; with bindAll choose "registered" or "friends"`,
      { field: '/access', file },
    )
  }
}

/** The peer's profile folder: settings, identity, friends and the address cache. */
export class Profile {
  readonly dir: string
  #config: ProfileConfig
  #friends: FriendInfo[]
  #friendsStamp = ''
  #peers: Map<string, CachedPeerAddress>
  /** Writes of one file are chained so two quick changes never race on the rename. */
  #writes = new Map<string, Promise<void>>()

  private constructor(dir: string, config: ProfileConfig, friends: FriendInfo[], peers: Map<string, CachedPeerAddress>) {
    this.dir = dir
    this.#config = config
    this.#friends = friends
    this.#peers = peers
  }

  /** Open (and create, 0700) a profile folder; every file in it is validated. */
  static async open(dir: string): Promise<Profile> {
    if (!isAbsolute(dir)) throw new ProfileError(`the profile folder must be an absolute path, not ${JSON.stringify(dir)}`)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const configPath = join(dir, CONFIG_FILE)
    const raw = await readJson(configPath)
    const config = raw === undefined ? {} : validate(ProfileConfig, raw, configPath)
    checkConfigSemantics(config, configPath)
    const profile = new Profile(dir, config, [], new Map())
    await profile.reloadFriends()
    await profile.#loadPeers()
    return profile
  }

  get configPath(): string {
    return join(this.dir, CONFIG_FILE)
  }
  get identityDir(): string {
    return join(this.dir, IDENTITY_DIR)
  }

  /** A copy of the settings. */
  get config(): ProfileConfig {
    return structuredClone(this.#config)
  }

  /**
   * Change settings and save them atomically. `null` removes a field. Fingerprints are accepted as
   * people paste them (colons, upper case). Choosing a CA file forgets a pinned fingerprint and vice versa.
   */
  async update(patch: ProfileConfigPatch): Promise<ProfileConfig> {
    const next: Record<string, unknown> = { ...this.#config, version: 1 }
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue
      if (value === null) delete next[key]
      else next[key] = value
    }
    if (typeof patch.trackerFingerprint === 'string') {
      const canonical = normalizeFingerprint(patch.trackerFingerprint)
      if (!canonical) {
        throw new ProfileError(`trackerFingerprint is not a SHA-256 fingerprint (64 hex digits): ${JSON.stringify(patch.trackerFingerprint)}`, { field: '/trackerFingerprint' })
      }
      next.trackerFingerprint = canonical
      if (patch.trackerCaFile === undefined) delete next.trackerCaFile
    } else if (typeof patch.trackerCaFile === 'string' && patch.trackerFingerprint === undefined) {
      delete next.trackerFingerprint
    }
    const config = validate(ProfileConfig, next, 'settings')
    checkConfigSemantics(config, 'settings')
    await this.#write(CONFIG_FILE, `${JSON.stringify(config, null, 2)}\n`, 0o600)
    this.#config = config
    return this.config
  }

  /** The settings `start()` needs, or a ProfileError naming the first one missing. */
  startConfig(overrides: ProfileConfigPatch = {}): StartConfig {
    const merged = { ...this.#config } as Record<string, unknown>
    for (const [key, value] of Object.entries(overrides)) {
      if (value === null) delete merged[key]
      else if (value !== undefined) merged[key] = value
    }
    const config = validate(ProfileConfig, merged, 'settings')
    checkConfigSemantics(config, 'settings')
    const missing = (field: string, hint: string) =>
      new ProfileError(`the profile has no ${field} yet: ${hint}`, { field: `/${field}`, file: this.configPath })
    if (!config.email) throw missing('email', 'set the e-mail address this peer is known by')
    if (!config.shareRoot) throw missing('shareRoot', 'choose the folder to share')
    if (!config.trackerUrl) throw missing('trackerUrl', "set the tracker's https:// URL")
    const bindAll = config.bindAll ?? false
    return {
      email: config.email,
      shareRoot: config.shareRoot,
      trackerUrl: config.trackerUrl,
      trackerFingerprint: config.trackerFingerprint,
      trackerCaFile: config.trackerCaFile,
      bindAll,
      access: config.access ?? (bindAll ? 'registered' : 'open'),
      port: config.port ?? 0,
    }
  }

  /** The identity saved in the profile, if any. */
  async loadIdentity(): Promise<Identity | undefined> {
    return loadIdentity(this.identityDir)
  }

  /**
   * The identity for `email`, created on first use (key 0600). When the profile holds an identity for
   * another address (the user chose a new e-mail, e.g. after `email_taken`), the old one is moved aside
   * to `identity-<fingerprint prefix>` rather than deleted, and a new one is made.
   */
  async ensureIdentity(email: string): Promise<Identity> {
    const existing = await loadIdentity(this.identityDir)
    if (existing && existing.email.toLowerCase() !== email.toLowerCase()) {
      await rename(this.identityDir, join(this.dir, `${IDENTITY_DIR}-${existing.fingerprint.slice(0, 12)}`))
    }
    return loadOrCreateIdentity(this.identityDir, { email, keyType: this.#config.keyType ?? 'p256' })
  }

  // ---- friends ----

  get friends(): FriendInfo[] {
    return structuredClone(this.#friends)
  }

  getFriend(email: string): FriendInfo | undefined {
    const key = email.toLowerCase()
    const friend = this.#friends.find((f) => f.email.toLowerCase() === key)
    return friend && structuredClone(friend)
  }

  /** Add or update a friend (same e-mail, case-insensitively, replaces the entry). */
  async putFriend(friend: FriendInfo): Promise<FriendInfo[]> {
    const entry = validate(FriendInfo, friend, 'friend')
    const key = entry.email.toLowerCase()
    const next = this.#friends.filter((f) => f.email.toLowerCase() !== key)
    next.push(entry)
    next.sort((a, b) => a.email.localeCompare(b.email))
    await this.#saveFriends(next)
    return this.friends
  }

  /** Remove a friend; false when there was none with that e-mail. */
  async removeFriend(email: string): Promise<boolean> {
    const key = email.toLowerCase()
    const next = this.#friends.filter((f) => f.email.toLowerCase() !== key)
    if (next.length === this.#friends.length) return false
    await this.#saveFriends(next)
    return true
  }

  /**
   * Re-read friends.json when another process (the CLI next to a running peer) changed it.
   * True when the list was reloaded.
   */
  async reloadFriends(): Promise<boolean> {
    const path = join(this.dir, FRIENDS_FILE)
    let stamp: string
    try {
      const st = await stat(path)
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      stamp = 'none'
    }
    if (stamp === this.#friendsStamp) return false
    const raw = await readJson(path)
    this.#friends = raw === undefined ? [] : validate(FriendsFile, raw, path).friends
    this.#friendsStamp = stamp
    return true
  }

  async #saveFriends(friends: FriendInfo[]): Promise<void> {
    await this.#write(FRIENDS_FILE, `${JSON.stringify({ version: 1, friends }, null, 2)}\n`, 0o600)
    this.#friends = friends
    try {
      const st = await stat(join(this.dir, FRIENDS_FILE))
      this.#friendsStamp = `${st.mtimeMs}:${st.size}:${st.ino}`
    } catch {
      this.#friendsStamp = ''
    }
  }

  // ---- the address cache ----

  cachedAddress(email: string): CachedPeerAddress | undefined {
    const entry = this.#peers.get(email.toLowerCase())
    return entry && { ...entry }
  }

  /** Remember the address that answered for `email` (persisted; tried first next time). */
  async cacheAddress(email: string, entry: Omit<CachedPeerAddress, 'at'>): Promise<void> {
    const key = email.toLowerCase()
    const previous = this.#peers.get(key)
    if (previous && previous.address === entry.address && previous.port === entry.port && previous.fingerprint === entry.fingerprint) {
      return
    }
    this.#peers.delete(key)
    this.#peers.set(key, { ...entry, at: new Date().toISOString() })
    while (this.#peers.size > PEER_CACHE_MAX) {
      const oldest = this.#peers.keys().next()
      if (oldest.done) break
      this.#peers.delete(oldest.value)
    }
    await this.#savePeers()
  }

  async forgetAddress(email: string): Promise<void> {
    if (this.#peers.delete(email.toLowerCase())) await this.#savePeers()
  }

  async #loadPeers(): Promise<void> {
    const path = join(this.dir, PEERS_FILE)
    let raw: unknown
    try {
      raw = await readJson(path)
    } catch {
      raw = undefined // only a cache: a damaged one is dropped, not fatal
    }
    if (raw === undefined || !Value.Check(PeersFile, raw)) return
    const entries = Object.entries((raw as Static<typeof PeersFile>).peers).sort((a, b) => a[1].at.localeCompare(b[1].at))
    this.#peers = new Map(entries.slice(-PEER_CACHE_MAX).map(([email, entry]) => [email.toLowerCase(), entry]))
  }

  async #savePeers(): Promise<void> {
    const peers = Object.fromEntries(this.#peers)
    await this.#write(PEERS_FILE, `${JSON.stringify({ version: 1, peers }, null, 2)}\n`, 0o600)
  }

  #write(file: string, data: string, mode: number): Promise<void> {
    const previous = this.#writes.get(file) ?? Promise.resolve()
    const next = previous.catch(() => {}).then(() => writeFileAtomic(join(this.dir, file), data, mode))
    this.#writes.set(file, next)
    return next
  }
}
