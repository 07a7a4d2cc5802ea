/**
 * An in-memory FlashbackApi: sample peers, houses, downloads and state changes, with no network. Used by the unit
 * tests, by `vite` dev (served over the same HTTP routes as web mode by dev/fake-bridge.ts) and by the screenshot
 * and browser tests. It validates every argument with the bridge schemas, like the real shells do.
 */
import {
  BridgeError,
  bridgeMethodsFrom,
  bridgeSearchResult,
  SEARCH_PAGE_DEFAULT,
  checkBridgeArgs,
  downloadActionRefusal,
  settingsProblems,
  webRemoteFileUrl,
  type AppInfo,
  type BridgeArgs,
  type BridgeChannelName,
  type BridgeEvent,
  type BridgeListener,
  type BridgeResult,
  type Download,
  type FileEntry,
  type FileListing,
  type FlashbackApi,
  type PeerView,
  type PublishingStatus,
  type SearchHit,
  type Settings,
  type SettingsDefaults,
  type Status,
  type StatusError,
} from '@flashback/protocol'
import {
  aliceHouse,
  BIG_FOLDER,
  BIG_FOLDER_SIZE,
  bigEntryName,
  myHouse,
  smallHouse,
  type FakeFileSpec,
  type FakeHouseSpec,
} from './fake-data.js'

export interface FakeApiOptions {
  /** Start already set up (default true); false shows the first-run setup. */
  configured?: boolean
  /** Advance downloads and health checks on timers (dev); off in tests, which call `control.tick()`. */
  live?: boolean
  /** Artificial latency of every call, in ms (dev realism). */
  latencyMs?: number
  /** Addresses the fake tracker says are taken (default: taken@example.com). */
  takenEmails?: string[]
  /** Start with a few downloads in every state (screenshots). */
  sampleDownloads?: boolean
  /** Extra files for Alice's house (e.g. a real video recorded by a browser test). */
  extraAliceFiles?: FakeHouseSpec
  /** Clock, for stable dates in tests and screenshots. */
  now?: () => number
  /** Bytes per second of simulated downloads. */
  downloadRate?: number
  /** Where downloads go (default /home/bob/Downloads) and the shared folder (default /home/bob/Flashback). */
  downloadsFolder?: string
  shareRoot?: string
  /** Whether the shell can show a file in its folder (default true, like the desktop; web mode cannot). */
  canReveal?: boolean
  /** Publishing my share at start (default off); e.g. `{ enabled: true, state: 'hashing', hashed: 96 }` for screenshots. */
  publishing?: Partial<PublishingStatus>
  /** How many files the simulated share has when publishing hashes it (default 240). */
  publishFiles?: number
}

export interface FakeControl {
  /** Every call made, in order (name and argument). */
  readonly calls: { name: string; args: unknown }[]
  /** URLs passed to openExternal. */
  readonly openedUrls: string[]
  /** Downloads revealed. */
  readonly revealed: string[]
  /** A peer's file: its bytes and type, or null (for the fake /remote route). */
  file(email: string, path: string): { bytes: Uint8Array; mime: string; mtime: string } | null
  /** Advances time-based simulations by `seconds`: download progress, pending health checks. */
  tick(seconds?: number): void
  /** Changes a peer's status and emits the event. */
  setPeerStatus(email: string, status: PeerView['status'], error?: string): void
  /** Emits any event to subscribers. */
  emit(event: BridgeEvent): void
  /** Makes the next calls of `name` fail with this error (until cleared with null). */
  failNext(name: string, error: { error: string; message: string } | null): void
  /** Changes the publishing status (a problem, progress) and emits the event. */
  setPublishing(patch: Partial<PublishingStatus>): void
  /** Stops timers. */
  close(): void
}

export interface FakeFlashbackApi extends FlashbackApi {
  readonly control: FakeControl
}

const ME = 'bob@example.com'
const MY_FINGERPRINT = '3f9a1c0b7d2e4f6a8b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a'
const DOWNLOADS_DIR = '/home/bob/Downloads'

interface HouseNode {
  type: 'file' | 'directory'
  mtime: string
  spec?: FakeFileSpec
}

class FakeHouse {
  private readonly nodes = new Map<string, HouseNode>()
  private readonly children = new Map<string, Set<string>>()
  private readonly byteCache = new Map<string, Uint8Array>()

  constructor(
    spec: FakeHouseSpec,
    private readonly now: () => number,
    private readonly bigFolder: string | null = null,
  ) {
    this.children.set('', new Set())
    for (const [path, file] of Object.entries(spec)) {
      const mtime = new Date(this.now() - (file.ageDays ?? 0) * 86_400_000 - 3_600_000).toISOString()
      this.nodes.set(path, { type: 'file', mtime, spec: file })
      this.link(path, mtime)
    }
    if (bigFolder) {
      this.nodes.set(bigFolder, { type: 'directory', mtime: new Date(this.now() - 86_400_000 * 2).toISOString() })
      this.children.get('')?.add(bigFolder)
      this.children.set(bigFolder, new Set())
    }
  }

  private link(path: string, mtime: string) {
    const parts = path.split('/')
    for (let i = 0; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/')
      const child = parts.slice(0, i + 1).join('/')
      this.children.get(parent)?.add(parts[i] as string)
      if (i < parts.length - 1 && !this.nodes.has(child)) {
        this.nodes.set(child, { type: 'directory', mtime })
        this.children.set(child, new Set())
      }
    }
  }

  private bigEntry(path: string): HouseNode | null {
    if (!this.bigFolder || !path.startsWith(`${this.bigFolder}/`)) return null
    const name = path.slice(this.bigFolder.length + 1)
    const m = /^scan-(\d{5})\.txt$/.exec(name)
    const n = m ? Number(m[1]) : 0
    if (n < 1 || n > BIG_FOLDER_SIZE) return null
    return {
      type: 'file',
      mtime: new Date(this.now() - n * 60_000).toISOString(),
      spec: { content: `Scan number ${n} of ${BIG_FOLDER_SIZE}.\n`, mime: 'text/plain' },
    }
  }

  node(path: string): HouseNode | null {
    return this.nodes.get(path) ?? this.bigEntry(path) ?? (path === '' ? { type: 'directory', mtime: new Date(this.now()).toISOString() } : null)
  }

  bytes(path: string): Uint8Array | null {
    const node = this.node(path)
    if (!node || node.type !== 'file' || !node.spec) return null
    const cached = this.byteCache.get(path)
    if (cached) return cached
    const c = node.spec.content
    const bytes = typeof c === 'string' ? new TextEncoder().encode(c) : c()
    if (!this.bigFolder || !path.startsWith(`${this.bigFolder}/`)) this.byteCache.set(path, bytes)
    return bytes
  }

  entry(path: string): FileEntry | null {
    const node = this.node(path)
    if (!node) return null
    const name = path.slice(path.lastIndexOf('/') + 1)
    if (node.type === 'directory') return { name, path, type: 'directory', size: 0, mtime: node.mtime, mime: 'inode/directory' }
    return { name, path, type: 'file', size: this.bytes(path)?.length ?? 0, mtime: node.mtime, mime: node.spec?.mime ?? 'application/octet-stream' }
  }

  /** Every file (the generated big folder left out): what a publisher would put in the registry. */
  files(): FileEntry[] {
    return [...this.nodes.entries()].filter(([, n]) => n.type === 'file').map(([path]) => this.entry(path)).filter((e): e is FileEntry => e !== null)
  }

  list(path: string, cursor: string | undefined, limit: number): FileListing {
    const node = this.node(path)
    if (!node) throw new BridgeError('not_found', `There is no folder “${path}” here.`)
    if (node.type !== 'directory') throw new BridgeError('not_a_directory', `"${path}" is a file, not a folder.`)
    let names: string[]
    if (this.bigFolder !== null && path === this.bigFolder) {
      names = Array.from({ length: BIG_FOLDER_SIZE }, (_, i) => bigEntryName(i))
    } else {
      const join = (n: string) => (path === '' ? n : `${path}/${n}`)
      names = [...(this.children.get(path) ?? [])].sort((a, b) => {
        const da = this.node(join(a))?.type === 'directory'
        const db = this.node(join(b))?.type === 'directory'
        return da !== db ? (da ? -1 : 1) : a < b ? -1 : a > b ? 1 : 0
      })
    }
    const start = cursor ? Number(cursor) : 0
    if (!Number.isInteger(start) || start < 0) throw new BridgeError('bad_request', 'Invalid cursor.')
    const slice = names.slice(start, start + limit)
    const entries = slice.map((n) => this.entry(path === '' ? n : `${path}/${n}`)).filter((e): e is FileEntry => e !== null)
    const listing: FileListing = { path, entries }
    if (start + limit < names.length) listing.next_cursor = String(start + limit)
    return listing
  }
}

interface FakePeer {
  view: PeerView
  house: FakeHouse | null
  /** Why visiting fails, when it does. */
  visitError?: { error: string; message: string }
}

/** A stand-in for SHA-256 (the fake runs in browsers too, without node:crypto): 64 hex digits that depend on the bytes only. */
function fakeSha256(bytes: Uint8Array): string {
  let h = 0x811c9dc5
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193) >>> 0
  let x = (h ^ bytes.length) >>> 0 || 1
  let hex = ''
  for (let i = 0; i < 8; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    hex += x.toString(16).padStart(8, '0')
  }
  return hex
}

const PUBLISHING_OFF: PublishingStatus = { enabled: false, state: 'off', files: 0, hashed: 0, bytes: 0, bytesHashed: 0, unreadable: 0, published: 0, pending: 0, syncing: true }
/** Bytes of one simulated file while publishing hashes the share. */
const PUBLISH_FILE_BYTES = 1_250_000

export function createFakeApi(options: FakeApiOptions = {}): FakeFlashbackApi {
  const now = options.now ?? (() => Date.now())
  const iso = (offsetMs = 0) => new Date(now() + offsetMs).toISOString()
  const live = options.live ?? false
  const latency = options.latencyMs ?? 0
  const taken = new Set((options.takenEmails ?? ['taken@example.com']).map((e) => e.toLowerCase()))
  const rate = options.downloadRate ?? 1_500_000
  const listeners = new Set<BridgeListener>()
  const calls: { name: string; args: unknown }[] = []
  const openedUrls: string[] = []
  const revealed: string[] = []
  const failures = new Map<string, { error: string; message: string }>()
  const timers: ReturnType<typeof setInterval>[] = []

  const downloadsDir = options.downloadsFolder ?? DOWNLOADS_DIR
  const shareRoot = options.shareRoot ?? '/home/bob/Flashback'
  const info: AppInfo = { mode: 'web', version: '0.1.0-fake', canChooseFolder: true, canReveal: options.canReveal ?? true, downloadsFolder: downloadsDir }
  const defaults: SettingsDefaults = {
    shareRoot,
    trackerUrl: 'https://tracker.example.com:8443',
    trackerFingerprint: null,
    bindAll: false,
    access: 'open',
  }
  let settings: Settings | null =
    options.configured === false
      ? null
      : {
          email: ME,
          shareRoot,
          trackerUrl: 'https://tracker.example.com:8443',
          trackerFingerprint: '5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592',
          bindAll: false,
          access: 'open',
        }
  const errors: StatusError[] = settings
    ? [{ at: iso(-42 * 60_000), source: 'tracker', code: 'unavailable', message: 'A heartbeat went unanswered; re-announced as soon as the tracker was back.' }]
    : []
  let status: Status = settings
    ? {
        email: settings.email,
        fingerprint: MY_FINGERPRINT,
        registration: 'registered',
        broadcasting: true,
        lastHeartbeat: iso(-3 * 60_000),
        server: { port: 47213, addresses: ['127.0.0.1'] },
        errors,
      }
    : { email: null, fingerprint: null, registration: 'unconfigured', broadcasting: false, lastHeartbeat: null, server: null, errors: [] }

  const mine = new FakeHouse(myHouse(), now)
  const peers = new Map<string, FakePeer>()
  const addPeer = (view: PeerView, house: FakeHouse | null, visitError?: FakePeer['visitError']) => {
    const p: FakePeer = { view, house }
    if (visitError) p.visitError = visitError
    peers.set(view.email, p)
  }
  const fp = (c: string) => c.repeat(64).slice(0, 64)
  addPeer(
    { email: 'alice@example.com', nickname: 'Alice', friend: true, status: 'online', fingerprint: fp('a1'), lastSeen: iso(-60_000) },
    new FakeHouse({ ...aliceHouse(), ...(options.extraAliceFiles ?? {}) }, now, BIG_FOLDER),
  )
  addPeer({ email: 'carol@example.com', nickname: 'Carol', friend: true, status: 'offline', fingerprint: fp('c3'), lastSeen: iso(-26 * 3_600_000) }, null, {
    error: 'not_online',
    message: 'carol@example.com is not online right now.',
  })
  addPeer({ email: 'dave@example.com', friend: true, status: 'checking', fingerprint: fp('d4') }, new FakeHouse(smallHouse('Dave'), now))
  addPeer(
    {
      email: 'erin@example.com',
      friend: true,
      status: 'error',
      fingerprint: fp('e5'),
      error: 'Certificate mismatch: the peer at 192.168.1.20 presented another certificate than the tracker published.',
    },
    null,
    { error: 'certificate_mismatch', message: 'The peer presented another certificate than the tracker published: not connecting.' },
  )
  addPeer({ email: 'frank@example.com', friend: false, status: 'online', fingerprint: fp('f6'), lastSeen: iso(-5 * 60_000) }, new FakeHouse(smallHouse('Frank'), now))
  addPeer({ email: 'grace@example.com', friend: false, status: 'online', fingerprint: fp('b7'), lastSeen: iso(-12 * 60_000) }, new FakeHouse(smallHouse('Grace'), now))

  const downloads = new Map<string, Download>()
  let downloadSeq = 0

  // ---- the tracker's file registry: what alice, carol (offline, a copy of alice's lake) and frank publish ----
  const carolHouse = new FakeHouse(
    {
      'photos/lake.svg': aliceHouse()['photos/lake.svg'] as FakeFileSpec,
      'recipes/soup.md': { content: '# Soup\n\nLeeks, potatoes, time.\n', mime: 'text/markdown', ageDays: 40 },
    },
    now,
  )
  const publishers: [string, FakeHouse][] = [
    ['alice@example.com', (peers.get('alice@example.com') as FakePeer).house as FakeHouse],
    ['carol@example.com', carolHouse],
    ['frank@example.com', (peers.get('frank@example.com') as FakePeer).house as FakeHouse],
  ]
  const hashes = new Map<string, string>()
  const hashOf = (owner: string, house: FakeHouse, path: string) => {
    const key = `${owner}\n${path}`
    let h = hashes.get(key)
    if (!h) {
      h = fakeSha256(house.bytes(path) ?? new Uint8Array())
      hashes.set(key, h)
    }
    return h
  }
  const registryHits = (): SearchHit[] => {
    const hits: SearchHit[] = []
    const add = (email: string, house: FakeHouse, online: boolean) => {
      for (const f of house.files()) hits.push({ email, fingerprint: fp('0f'), path: f.path, name: f.name, sha256: hashOf(email, house, f.path), size: f.size, online })
    }
    for (const [email, house] of publishers) add(email, house, peers.get(email)?.view.status === 'online')
    if (publishing.enabled && publishing.state === 'idle' && status.email) add(status.email, mine, status.broadcasting)
    const rank = (h: SearchHit) => (h.online ? 0 : 1)
    return hits.sort((a, b) => rank(a) - rank(b) || a.email.localeCompare(b.email) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  }

  // ---- publishing my share: simulated hashing, advanced by tick() ----
  let publishing: PublishingStatus = { ...PUBLISHING_OFF, ...options.publishing }
  const publishTotal = options.publishFiles ?? 240
  const myPaths = mine.files().map((f) => f.path)
  const setPublishingStatus = (next: PublishingStatus) => {
    publishing = next
    emit({ type: 'publishing', publishing: structuredClone(publishing) })
  }
  const advancePublishing = (seconds: number) => {
    if (!publishing.enabled) return
    if (publishing.state === 'scanning') {
      setPublishingStatus({ ...publishing, state: 'hashing', files: publishTotal, bytes: publishTotal * PUBLISH_FILE_BYTES, current: myPaths[0] ?? 'notes.txt' })
    } else if (publishing.state === 'hashing') {
      const hashed = Math.min(publishing.files, publishing.hashed + Math.max(1, Math.round(seconds * 40)))
      const { current: _c, ...rest } = publishing
      const next: PublishingStatus = { ...rest, hashed, bytesHashed: hashed * PUBLISH_FILE_BYTES, published: Math.max(0, hashed - 4), pending: Math.min(4, hashed) }
      if (hashed >= publishing.files) Object.assign(next, { state: 'idle', published: hashed, pending: 0 })
      else next.current = myPaths[hashed % Math.max(1, myPaths.length)] ?? 'notes.txt'
      setPublishingStatus(next)
    }
  }

  const emit = (event: BridgeEvent) => {
    for (const l of [...listeners]) {
      try {
        l(event)
      } catch {
        // a listener's failure is its own business
      }
    }
  }
  const peersReply = (): BridgeResult<'listPeers'> => ({ peers: [...peers.values()].map((p) => ({ ...p.view })), updatedAt: iso() })
  const setStatus = (next: Status) => {
    status = next
    emit({ type: 'status', status })
  }
  const peerFor = (email: string): FakePeer => {
    const p = peers.get(email.toLowerCase())
    if (!p) throw new BridgeError('not_found', `${email} is not online and not a friend.`)
    if (p.visitError) throw new BridgeError(p.visitError.error, p.visitError.message)
    if (!p.house || p.view.status === 'offline') throw new BridgeError('not_online', `${email} is not online right now.`)
    return p
  }
  const houseFile = (email: string, path: string) => {
    const p = peerFor(email)
    const house = p.house as FakeHouse
    const entry = house.entry(path)
    if (!entry) throw new BridgeError('not_found', `There is no “${path}” in ${email}’s house.`)
    return { house, entry }
  }

  const startTimer = (fn: () => void, ms: number) => {
    if (!live) return
    timers.push(setInterval(fn, ms))
  }

  const tick = (seconds = 0.25) => {
    advancePublishing(seconds)
    for (const d of downloads.values()) {
      if (d.state !== 'running') continue
      const total = d.total ?? 0
      const received = Math.min(total, d.received + Math.round(rate * seconds))
      const next: Download = { ...d, received, updatedAt: iso(), bytesPerSecond: rate }
      if (received >= total) {
        next.state = 'completed'
        delete next.bytesPerSecond
      }
      downloads.set(d.id, next)
      emit({ type: 'download', download: next })
    }
    for (const p of peers.values()) {
      if (p.view.status === 'checking' && p.view.email !== 'dave@example.com') {
        p.view = { ...p.view, status: p.house ? 'online' : 'offline', lastSeen: iso() }
        emit({ type: 'peer', peer: { ...p.view } })
      }
    }
  }
  startTimer(() => tick(0.25), 250)

  if (options.sampleDownloads) {
    const sample = (path: string, state: Download['state'], fraction: number, email = 'alice@example.com', error?: string) => {
      const { entry } = houseFile(email, path)
      const id = `sample${++downloadSeq}`
      const d: Download = {
        id,
        email,
        path,
        name: entry.name,
        state,
        received: Math.round(entry.size * fraction),
        total: entry.size,
        file: `${downloadsDir}/${entry.name}`,
        startedAt: iso(-(10 - downloadSeq) * 60_000),
        updatedAt: iso(-(10 - downloadSeq) * 30_000),
      }
      if (state === 'running') d.bytesPerSecond = rate
      if (error) d.error = error
      downloads.set(id, d)
    }
    sample('photos/lake.svg', 'completed', 1)
    sample('archive.zip', 'cancelled', 0.35)
    sample('music/chord.wav', 'failed', 0.6, 'alice@example.com', 'alice@example.com stopped answering (connection reset).')
    sample('software/flashback-0.1.0.AppImage', 'running', 0.42)
  }

  const delay = () => (latency > 0 ? new Promise<void>((r) => setTimeout(r, latency)) : Promise.resolve())

  /** Wraps a handler: records the call, validates the argument, applies latency and injected failures. */
  function method<N extends BridgeChannelName>(name: N) {
    return async (args?: unknown): Promise<BridgeResult<N>> => {
      calls.push({ name, args })
      const checked = checkBridgeArgs(name, args)
      await delay()
      const failure = failures.get(name)
      if (failure) throw new BridgeError(failure.error, failure.message)
      const handler = handlers[name] as unknown as (a: BridgeArgs<N>) => BridgeResult<N>
      // Copies, so callers can never mutate the fake's state by accident.
      return structuredClone(await handler(checked))
    }
  }

  const requireSettings = () => {
    if (!settings) throw new BridgeError('not_configured', 'Finish the setup first.')
  }

  const handlers: { [N in BridgeChannelName]: (a: BridgeArgs<N>) => BridgeResult<N> } = {
    getInfo: () => info,
    getSettings: () => ({ settings, defaults }),
    setSettings: (next: Settings) => {
      const problem = settingsProblems(next)[0]
      if (problem) throw new BridgeError('validation_failed', problem.message, problem.field)
      if (next.shareRoot.includes('missing')) throw new BridgeError('validation_failed', 'This folder does not exist on this computer.', 'shareRoot')
      settings = { ...next }
      emit({ type: 'settings', settings })
      if (taken.has(next.email.toLowerCase())) {
        setStatus({
          ...status,
          email: next.email,
          fingerprint: MY_FINGERPRINT,
          registration: 'email_taken',
          registrationMessage: `${next.email} is registered on this tracker with another certificate.`,
          broadcasting: false,
          server: { port: 47213, addresses: ['127.0.0.1'] },
        })
      } else {
        const { registrationMessage: _drop, ...rest } = status
        setStatus({
          ...rest,
          email: next.email,
          fingerprint: MY_FINGERPRINT,
          registration: 'registered',
          broadcasting: true,
          lastHeartbeat: iso(),
          server: { port: 47213, addresses: next.bindAll ? ['192.168.1.10', 'fd00::10'] : ['127.0.0.1'] },
        })
      }
      return { settings, status }
    },
    chooseShareFolder: () => ({ path: '/home/bob/Shared' }),
    getStatus: () => status,
    listMyFiles: (a: BridgeArgs<'listMyFiles'>) => {
      requireSettings()
      return mine.list(a.path, a.cursor, a.limit ?? 1000)
    },
    listPeers: (a: BridgeArgs<'listPeers'>) => {
      requireSettings()
      if (a.refresh) {
        for (const p of peers.values()) if (p.view.friend && p.view.status !== 'error') p.view = { ...p.view, status: p.view.email === 'carol@example.com' ? 'offline' : p.view.status }
      }
      return peersReply()
    },
    addFriend: (a: BridgeArgs<'addFriend'>) => {
      requireSettings()
      const email = a.email.toLowerCase()
      if (email === status.email?.toLowerCase()) throw new BridgeError('bad_request', 'You cannot add yourself as a friend.')
      const existing = peers.get(email)
      const view: PeerView = existing
        ? { ...existing.view, friend: true, ...(a.nickname ? { nickname: a.nickname } : {}) }
        : { email, friend: true, status: 'checking', ...(a.nickname ? { nickname: a.nickname } : {}) }
      if (existing) existing.view = view
      else addPeer(view, null)
      emit({ type: 'peer', peer: { ...view } })
      return { peer: view }
    },
    removeFriend: (a: BridgeArgs<'removeFriend'>) => {
      requireSettings()
      const email = a.email.toLowerCase()
      const p = peers.get(email)
      if (!p || !p.view.friend) return { removed: false }
      if (p.view.status === 'online' && p.house) {
        const { nickname: _n, ...rest } = p.view
        p.view = { ...rest, friend: false }
        emit({ type: 'peer', peer: { ...p.view } })
      } else {
        peers.delete(email)
        emit({ type: 'peer-removed', email })
      }
      return { removed: true }
    },
    listRemoteFiles: (a: BridgeArgs<'listRemoteFiles'>) => {
      requireSettings()
      const p = peerFor(a.email)
      return (p.house as FakeHouse).list(a.path, a.cursor, a.limit ?? 1000)
    },
    readRemoteText: (a: BridgeArgs<'readRemoteText'>) => {
      requireSettings()
      const { house, entry } = houseFile(a.email, a.path)
      if (entry.type === 'directory') throw new BridgeError('not_a_directory', `"${a.path}" is a folder.`)
      const isText = entry.mime.startsWith('text/') || entry.mime === 'application/json'
      if (!isText) throw new BridgeError('not_text', `"${entry.name}" is not a text file.`)
      if (entry.size > 10 * 1024 * 1024) throw new BridgeError('too_large', `"${entry.name}" is too large to show; download it instead.`)
      const text = new TextDecoder().decode(house.bytes(a.path) ?? new Uint8Array())
      return { path: a.path, mime: entry.mime, size: entry.size, text }
    },
    startDownload: (a: BridgeArgs<'startDownload'>) => {
      requireSettings()
      const { entry } = houseFile(a.email, a.path)
      if (entry.type === 'directory') throw new BridgeError('bad_request', 'Folders cannot be downloaded yet; open it and download its files.')
      const id = `dl${++downloadSeq}`
      const d: Download = {
        id,
        email: a.email,
        path: a.path,
        name: entry.name,
        state: 'running',
        received: 0,
        total: entry.size,
        bytesPerSecond: rate,
        file: `${downloadsDir}/${entry.name}`,
        startedAt: iso(),
        updatedAt: iso(),
      }
      downloads.set(id, d)
      emit({ type: 'download', download: d })
      return d
    },
    listDownloads: () => ({ downloads: [...downloads.values()].reverse() }),
    cancelDownload: (a: BridgeArgs<'cancelDownload'>) => {
      const d = downloads.get(a.id)
      if (!d) throw new BridgeError('not_found', 'No such download.')
      const refusal = downloadActionRefusal('cancel', d.state)
      if (refusal) throw new BridgeError('invalid_state', refusal)
      const { bytesPerSecond: _r, ...rest } = d
      const next: Download = { ...rest, state: 'cancelled', updatedAt: iso() }
      downloads.set(a.id, next)
      emit({ type: 'download', download: next })
      return next
    },
    resumeDownload: (a: BridgeArgs<'resumeDownload'>) => {
      const d = downloads.get(a.id)
      if (!d) throw new BridgeError('not_found', 'No such download.')
      const refusal = downloadActionRefusal('resume', d.state)
      if (refusal) throw new BridgeError('invalid_state', refusal)
      peerFor(d.email)
      const { error: _e, ...rest } = d
      const next: Download = { ...rest, state: 'running', bytesPerSecond: rate, updatedAt: iso() }
      downloads.set(a.id, next)
      emit({ type: 'download', download: next })
      return next
    },
    revealDownload: (a: BridgeArgs<'revealDownload'>) => {
      const d = downloads.get(a.id)
      if (!d) throw new BridgeError('not_found', 'No such download.')
      revealed.push(a.id)
      return { ok: true as const }
    },
    openExternal: (a: BridgeArgs<'openExternal'>) => {
      openedUrls.push(a.url)
      return { opened: true }
    },
    searchFiles: (a: BridgeArgs<'searchFiles'>) => {
      requireSettings()
      const limit = a.limit ?? SEARCH_PAGE_DEFAULT
      const start = a.cursor ? Number(a.cursor) : 0
      if (!Number.isInteger(start) || start < 0) throw new BridgeError('validation_failed', 'This cursor was not handed out by the tracker.')
      let match: (h: SearchHit) => boolean
      if ('name' in a) {
        const name = a.name.trim().toLowerCase()
        if (name.length < 2) throw new BridgeError('validation_failed', 'Type at least 2 characters of the name.', 'name')
        match = (h) => h.name.toLowerCase().includes(name)
      } else {
        const sha256 = a.sha256.toLowerCase()
        match = (h) => h.sha256 === sha256
      }
      const hits = registryHits().filter(match)
      const results = hits.slice(start, start + limit).map((h) => bridgeSearchResult(h, status.email))
      return start + limit < hits.length ? { results, nextCursor: String(start + limit) } : { results }
    },
    getPublishing: () => publishing,
    setPublishing: (a: BridgeArgs<'setPublishing'>) => {
      requireSettings()
      if (a.enabled && !publishing.enabled) setPublishingStatus({ ...PUBLISHING_OFF, enabled: true, state: 'scanning' })
      else if (!a.enabled) setPublishingStatus({ ...PUBLISHING_OFF })
      return publishing
    },
  }

  const control: FakeControl = {
    calls,
    openedUrls,
    revealed,
    file(email, path) {
      const p = peers.get(email.toLowerCase())
      const house = email.toLowerCase() === status.email?.toLowerCase() ? mine : p && !p.visitError && p.view.status !== 'offline' ? p.house : null
      if (!house) return null
      const entry = house.entry(path)
      const bytes = house.bytes(path)
      if (!entry || !bytes) return null
      return { bytes, mime: entry.mime, mtime: entry.mtime }
    },
    tick,
    setPeerStatus(email, st, error) {
      const p = peers.get(email.toLowerCase())
      if (!p) return
      const view: PeerView = { ...p.view, status: st }
      if (error) view.error = error
      else delete view.error
      p.view = view
      emit({ type: 'peer', peer: { ...view } })
    },
    emit,
    failNext(name, error) {
      if (error) failures.set(name, error)
      else failures.delete(name)
    },
    setPublishing(patch) {
      setPublishingStatus({ ...publishing, ...patch })
    },
    close() {
      for (const t of timers) clearInterval(t)
      timers.length = 0
      listeners.clear()
    },
  }

  const api: FakeFlashbackApi = {
    ...bridgeMethodsFrom(method),
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    remoteFileUrl: (email, path) => webRemoteFileUrl(email, path),
    control,
  }
  return api
}
