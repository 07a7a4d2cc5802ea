/**
 * The publisher: keeps the tracker's file registry in step with the share, in the background.
 *
 *   const publisher = await startPublisher({ root, registry, logger, cacheFile })
 *   publisher.progress()    // { state, files, hashed, bytes, bytesHashed, unreadable, current, published, pending, … }
 *   await publisher.stop()  // entries stay at the tracker (marked offline once the broadcast ends)
 *
 * 1. Scan the share (regular files the peer server would serve; see scan.ts).
 * 2. Hash what the cache (hash-cache.ts: path + size + mtime) does not know, one file at a time,
 *    logging progress every few seconds; the cache is saved as hashing goes, so a restart (or a
 *    crash) rehashes only what changed.
 * 3. Sync: first remove whatever an earlier run left at the tracker (DELETE ?all=true), then publish
 *    hashed files in batches of 1000 as they come, and from then on send only differences.
 * 4. Watch the share (fs.watch, recursive) and look again at what changed; a full rescan every
 *    `rescanIntervalMs` catches anything the watcher missed.
 *
 * Tracker trouble never stops hashing: network errors, 5xx and 429 are retried with backoff; a 403/401
 * (the tracker lost its database: the runtime registers again) leads to a full resync; 409
 * registry_full stops adding entries until the next resync; 404 (a tracker without a registry) turns
 * syncing off.
 */
import { watch, type FSWatcher } from 'node:fs'
import { lstat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { REGISTRY_MAX_FILES_PER_REQUEST, type RegistryFile } from '@flashback/protocol'
import { TrackerHttpError, describeError } from '../runtime/errors.js'
import { isTransientTrackerError } from '../runtime/tracker-client.js'
import { silentLogger, type Logger } from '../runtime/logger.js'
import { HashCache } from './hash-cache.js'
import { hashFile } from './hash-file.js'
import type { RegistryApi } from './registry-client.js'
import { publishablePath, scanShare, statShareFile, type ScannedFile } from './scan.js'

export interface PublisherOptions {
  /** The share root (absolute). */
  root: string
  /** The tracker's registry (a RegistryClient, or a test double). */
  registry: RegistryApi
  /** Where the hash cache lives (e.g. <profile>/hash-cache.json). */
  cacheFile: string
  logger?: Logger
  /** Publish dotfiles too (default false, like the peer server). */
  showDotfiles?: boolean
  /** At most this many files are published (default 100,000: the tracker's default quota). */
  maxFiles?: number
  /** Watch the share for changes (default true). */
  watch?: boolean
  /** Full rescans this often (default 10 min; 0 = none). */
  rescanIntervalMs?: number
  /** Gather file-system events this long before looking (default 1 s). */
  watchDebounceMs?: number
  /** Gather hashed files this long before a publish request (default 1 s). */
  syncDelayMs?: number
  /** Between progress lines while hashing (default 5 s). */
  progressIntervalMs?: number
  /** Told the progress after it changed (at most every `progressEventIntervalMs`, default 250 ms), and once stopped. */
  onProgress?: (progress: PublishProgress) => void
  progressEventIntervalMs?: number
  /** First retry delay after a tracker failure (default 2 s), doubled up to backoffMaxMs (default 5 min). */
  backoffBaseMs?: number
  backoffMaxMs?: number
  /** Platform whose file-name rules apply (tests). */
  platform?: NodeJS.Platform
}

export interface PublishProgress {
  /** scanning: walking the share; hashing: files wait for their hash; idle: all hashed. */
  state: 'scanning' | 'hashing' | 'idle' | 'stopped'
  /** Publishable files found. */
  files: number
  /** Of which hashed. */
  hashed: number
  bytes: number
  bytesHashed: number
  /** Files that could not be read (retried when they change). */
  unreadable: number
  /** The file being hashed now. */
  current?: string
  /** Entries the tracker holds for us, as far as we know. */
  published: number
  /** Entries still to publish or remove. */
  pending: number
  /** false when syncing is off (a tracker without a registry). */
  syncing: boolean
  /** The last tracker error, while it lasts. */
  error?: string
}

export interface Publisher {
  progress(): PublishProgress
  /** Resolves when nothing is scanning, hashing, waiting to be looked at or being sent. */
  whenIdle(): Promise<void>
  /** Look at the whole share again now (what the periodic rescan does). */
  rescan(): Promise<void>
  /** Stop watching, hashing and syncing; saves the cache. Entries stay at the tracker. */
  stop(): Promise<void>
}

interface LocalEntry {
  name: string
  size: number
  mtimeMs: number
  sha256?: string
}

const signature = (e: LocalEntry) => `${e.sha256}|${e.size}|${e.name}`
const inside = (path: string, under: string) => under === '' || path === under || path.startsWith(`${under}/`)

class SharePublisher implements Publisher {
  readonly #root: string
  readonly #registry: RegistryApi
  readonly #cache: HashCache
  readonly #log: Logger
  readonly #rules: { showDotfiles: boolean; platform: NodeJS.Platform }
  readonly #maxFiles: number
  readonly #opts: PublisherOptions
  readonly #abort = new AbortController()
  readonly #exclude: (absolutePath: string) => boolean

  readonly #index = new Map<string, LocalEntry>()
  readonly #queue = new Set<string>()
  /** Paths that could not be read; retried when they change. */
  readonly #unreadable = new Set<string>()
  /** What the tracker holds: path → signature. */
  readonly #published = new Map<string, string>()
  /** Paths the tracker refused (400): not offered again until they change. */
  readonly #rejected = new Set<string>()
  readonly #dirty = new Set<string>()
  #dirtyAll = false

  #stopped = false
  #scanning = 0
  #hashing = false
  #hashRun = { hashed: 0, fromCache: 0, startedAt: 0, bytes: 0 }
  #chain: Promise<void> = Promise.resolve()
  #watcher: FSWatcher | undefined
  #dirtyTimer: NodeJS.Timeout | undefined
  #rescanTimer: NodeJS.Timeout | undefined
  #progressTimer: NodeJS.Timeout | undefined
  #syncTimer: NodeJS.Timeout | undefined
  #syncRunning = false
  #syncAgain = false
  #syncEnabled = true
  #needsReset = true
  #quotaReached = false
  #failures = 0
  #lastError: string | undefined
  #sentSinceInStep = 0
  #truncatedWarned = false
  #idleWaiters: (() => void)[] = []
  #current: string | undefined
  #notifyTimer: NodeJS.Timeout | undefined

  constructor(options: PublisherOptions, cache: HashCache) {
    this.#opts = options
    this.#root = options.root
    this.#registry = options.registry
    this.#cache = cache
    this.#log = options.logger ?? silentLogger
    this.#rules = { showDotfiles: options.showDotfiles ?? false, platform: options.platform ?? process.platform }
    this.#maxFiles = options.maxFiles ?? 100_000
    // The cache file and its temporary siblings (written atomically) are never published.
    const cacheFile = resolve(options.cacheFile)
    this.#exclude = (absolutePath) => absolutePath === cacheFile || absolutePath.startsWith(`${cacheFile}.`)
  }

  // ---- lifecycle ----

  start(): void {
    this.#log.info({ root: this.#root }, 'publishing the share to the tracker registry')
    void this.#serial(async () => {
      await this.#reconcile('')
      // Everything came from the cache: say so now (otherwise the hashing run says it when done).
      if (!this.#hashing && this.#queue.size === 0) this.#logHashed()
    })
    if (this.#opts.watch !== false) this.#startWatching()
    const every = this.#opts.rescanIntervalMs ?? 10 * 60_000
    if (every > 0) {
      this.#rescanTimer = setInterval(() => void this.rescan(), every)
      this.#rescanTimer.unref()
    }
    this.#requestSync(0)
  }

  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#abort.abort()
    this.#watcher?.close()
    for (const timer of [this.#dirtyTimer, this.#syncTimer, this.#progressTimer]) clearTimeout(timer)
    clearInterval(this.#rescanTimer)
    clearInterval(this.#progressTimer)
    await this.#chain.catch(() => {})
    while (this.#hashing || this.#syncRunning) await new Promise((r) => setTimeout(r, 10))
    await this.#cache.save().catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, 'saving the hash cache failed'))
    this.#log.info({ published: this.#published.size }, 'publisher stopped')
    this.#checkIdle()
    clearTimeout(this.#notifyTimer)
    this.#notifyTimer = undefined
    this.#opts.onProgress?.(this.progress())
  }

  rescan(): Promise<void> {
    return this.#serial(() => this.#reconcile(''))
  }

  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve)
      this.#checkIdle()
    })
  }

  progress(): PublishProgress {
    let hashed = 0
    let bytes = 0
    let bytesHashed = 0
    for (const entry of this.#index.values()) {
      bytes += entry.size
      if (entry.sha256) {
        hashed++
        bytesHashed += entry.size
      }
    }
    const state = this.#stopped ? 'stopped' : this.#scanning > 0 ? 'scanning' : this.#queue.size > 0 || this.#hashing ? 'hashing' : 'idle'
    const progress: PublishProgress = {
      state,
      files: this.#index.size,
      hashed,
      bytes,
      bytesHashed,
      unreadable: this.#unreadable.size,
      published: this.#published.size,
      pending: this.#pendingCount(),
      syncing: this.#syncEnabled,
    }
    if (this.#current !== undefined && !this.#stopped) progress.current = this.#current
    if (this.#lastError) progress.error = this.#lastError
    return progress
  }

  /** Tell `onProgress` soon (changes within one interval make one call). */
  #notify(): void {
    if (!this.#opts.onProgress || this.#stopped || this.#notifyTimer) return
    this.#notifyTimer = setTimeout(() => {
      this.#notifyTimer = undefined
      if (!this.#stopped) this.#opts.onProgress?.(this.progress())
    }, this.#opts.progressEventIntervalMs ?? 250)
    this.#notifyTimer.unref()
  }

  #isIdle(): boolean {
    if (this.#stopped) return true
    return (
      this.#scanning === 0 &&
      !this.#hashing &&
      this.#queue.size === 0 &&
      this.#dirty.size === 0 &&
      !this.#dirtyAll &&
      !this.#syncRunning &&
      this.#syncTimer === undefined
    )
  }

  #checkIdle(): void {
    this.#notify()
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return
    const waiters = this.#idleWaiters
    this.#idleWaiters = []
    for (const resolve of waiters) resolve()
  }

  /** Scans and reconciliations run one at a time. */
  #serial(task: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(async () => {
      if (this.#stopped) return
      this.#scanning++
      this.#notify()
      try {
        await task()
      } catch (err) {
        if (!this.#stopped) this.#log.warn({ err: describeError(err) }, 'looking at the share failed')
      } finally {
        this.#scanning--
        this.#checkIdle()
      }
    })
    this.#chain = run
    return run
  }

  // ---- the local view ----

  async #reconcile(under: string): Promise<void> {
    const scan = await scanShare(this.#root, under, {
      rules: this.#rules,
      maxFiles: this.#maxFiles,
      exclude: this.#exclude,
      signal: this.#abort.signal,
      logger: this.#log,
    })
    if (this.#stopped) return
    const seen = new Set<string>()
    for (const file of scan.files) {
      seen.add(file.path)
      this.#upsert(file)
    }
    for (const path of [...this.#index.keys()]) if (inside(path, under) && !seen.has(path)) this.#remove(path)
    if (under === '') {
      this.#cache.prune((path) => this.#index.has(path))
      if (scan.truncated && !this.#truncatedWarned) {
        this.#truncatedWarned = true
        this.#log.warn({ max_files: this.#maxFiles }, 'the share holds more files than are published; the first ones (in name order) are')
      }
    }
    this.#kickHashing()
  }

  /** Look at one changed path: a file, a folder (its subtree), or something gone. */
  async #reconcilePath(path: string): Promise<void> {
    if (!publishablePath(path, this.#rules) || this.#exclude(join(this.#root, ...path.split('/')))) return
    let info
    try {
      info = await lstat(join(this.#root, ...path.split('/')))
    } catch {
      info = undefined
    }
    if (info?.isDirectory()) return this.#reconcile(path)
    const file = info?.isFile() ? await statShareFile(this.#root, path, this.#rules) : undefined
    if (file) this.#upsert(file)
    else for (const known of [...this.#index.keys()]) if (inside(known, path)) this.#remove(known)
    this.#kickHashing()
  }

  #upsert(file: ScannedFile): void {
    const existing = this.#index.get(file.path)
    if (existing && existing.size === file.size && existing.mtimeMs === file.mtimeMs) return
    if (!existing && this.#index.size >= this.#maxFiles) return
    const entry: LocalEntry = { name: file.name, size: file.size, mtimeMs: file.mtimeMs }
    const cached = this.#cache.get(file.path, file.size, file.mtimeMs)
    if (cached) {
      entry.sha256 = cached
      this.#hashRun.fromCache++
    } else this.#queue.add(file.path)
    this.#index.set(file.path, entry)
    this.#unreadable.delete(file.path)
    this.#rejected.delete(file.path)
    this.#requestSync()
  }

  #remove(path: string): void {
    if (!this.#index.delete(path)) return
    this.#queue.delete(path)
    this.#unreadable.delete(path)
    this.#rejected.delete(path)
    this.#cache.delete(path)
    this.#requestSync()
  }

  // ---- hashing ----

  #kickHashing(): void {
    if (this.#hashing || this.#queue.size === 0 || this.#stopped) return
    void this.#hashLoop()
  }

  async #hashLoop(): Promise<void> {
    this.#hashing = true
    this.#hashRun = { hashed: 0, fromCache: this.#hashRun.fromCache, startedAt: Date.now(), bytes: 0 }
    this.#startProgressLog()
    let lastSave = Date.now()
    try {
      while (this.#queue.size > 0 && !this.#stopped) {
        const path = this.#queue.values().next().value as string
        this.#queue.delete(path)
        const entry = this.#index.get(path)
        if (!entry || entry.sha256) continue
        this.#current = path
        this.#notify()
        let sha256: string
        try {
          sha256 = await hashFile(join(this.#root, ...path.split('/')), {
            signal: this.#abort.signal,
            onBytes: (n) => void (this.#hashRun.bytes += n),
          })
        } catch (err) {
          if (this.#stopped) break
          // Gone or unreadable: the next look at it (watcher or rescan) decides.
          this.#unreadable.add(path)
          this.#log.debug({ path, err: (err as Error).message }, 'cannot hash a shared file')
          continue
        }
        const after = await statShareFile(this.#root, path, this.#rules)
        if (this.#index.get(path) !== entry) continue
        if (!after) {
          this.#remove(path)
          continue
        }
        if (after.size !== entry.size || after.mtimeMs !== entry.mtimeMs) {
          // Written to while we read it: hash it again once it has settled (it is queued again).
          this.#upsert(after)
          continue
        }
        entry.sha256 = sha256
        this.#cache.set(path, entry.size, entry.mtimeMs, sha256)
        this.#hashRun.hashed++
        this.#requestSync()
        if (Date.now() - lastSave > 30_000) {
          lastSave = Date.now()
          await this.#cache.save().catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, 'saving the hash cache failed'))
        }
      }
    } finally {
      this.#current = undefined
      this.#stopProgressLog()
      if (!this.#stopped) {
        this.#logHashed()
        await this.#cache.save().catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, 'saving the hash cache failed'))
      }
      this.#hashing = false
      // Something may have been queued while we saved.
      this.#kickHashing()
      this.#checkIdle()
    }
  }

  /** One line when the share is fully hashed: how much was read now, how much came from the cache. */
  #logHashed(): void {
    const run = this.#hashRun
    const progress = this.progress()
    this.#log.info(
      {
        files: progress.files,
        bytes: progress.bytes,
        hashed_now: run.hashed,
        from_cache: run.fromCache,
        unreadable: this.#unreadable.size,
        ms: run.startedAt > 0 ? Date.now() - run.startedAt : 0,
      },
      'share hashed',
    )
    this.#hashRun = { hashed: 0, fromCache: 0, startedAt: 0, bytes: 0 }
  }

  #startProgressLog(): void {
    const every = this.#opts.progressIntervalMs ?? 5000
    if (every <= 0 || this.#progressTimer) return
    this.#progressTimer = setInterval(() => {
      const p = this.progress()
      this.#log.info(
        {
          files_hashed: p.hashed,
          files_total: p.files,
          bytes_hashed: p.bytesHashed,
          bytes_total: p.bytes,
          percent: p.bytes > 0 ? Math.floor((p.bytesHashed / p.bytes) * 1000) / 10 : 100,
          published: p.published,
        },
        'hashing share',
      )
    }, every)
    this.#progressTimer.unref()
  }

  #stopProgressLog(): void {
    clearInterval(this.#progressTimer)
    this.#progressTimer = undefined
  }

  // ---- watching ----

  #startWatching(): void {
    try {
      this.#watcher = watch(this.#root, { recursive: true, signal: this.#abort.signal }, (_event, filename) => {
        if (filename === null || filename === undefined) this.#dirtyAll = true
        else this.#dirty.add(String(filename).split(/[\\/]+/).join('/'))
        if (this.#dirty.size > 1000) this.#dirtyAll = true
        clearTimeout(this.#dirtyTimer)
        this.#dirtyTimer = setTimeout(() => this.#flushDirty(), this.#opts.watchDebounceMs ?? 1000)
      })
      this.#watcher.on('error', (err) => {
        this.#log.warn({ err: err.message }, 'watching the share failed; relying on periodic rescans')
        this.#watcher?.close()
        this.#watcher = undefined
      })
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'cannot watch the share; relying on periodic rescans')
    }
  }

  #flushDirty(): void {
    this.#dirtyTimer = undefined
    const all = this.#dirtyAll
    const paths = [...this.#dirty]
    this.#dirtyAll = false
    this.#dirty.clear()
    if (all) void this.#serial(() => this.#reconcile(''))
    else {
      void this.#serial(async () => {
        // Deepest last; a folder event covers its subtree.
        for (const path of paths.sort()) await this.#reconcilePath(path)
      })
    }
  }

  // ---- keeping the registry in step ----

  #due(): { publish: string[]; unpublish: string[] } {
    const unpublish: string[] = []
    for (const path of this.#published.keys()) if (!this.#index.has(path)) unpublish.push(path)
    const publish: string[] = []
    if (!this.#quotaReached) {
      for (const [path, entry] of this.#index) {
        if (entry.sha256 && this.#published.get(path) !== signature(entry) && !this.#rejected.has(path)) publish.push(path)
      }
    }
    return { publish, unpublish }
  }

  #pendingCount(): number {
    const due = this.#due()
    return due.publish.length + due.unpublish.length
  }

  /** Sync soon: after `delayMs`, or right after the sync under way. */
  #requestSync(delayMs = this.#opts.syncDelayMs ?? 1000): void {
    this.#notify()
    if (this.#stopped || !this.#syncEnabled) return
    if (this.#syncRunning) {
      this.#syncAgain = true
      return
    }
    this.#armSync(delayMs)
  }

  /** Sync after `delayMs` (unless a sync is already due sooner or later: the first one set wins). */
  #armSync(delayMs: number): void {
    if (this.#stopped || !this.#syncEnabled || this.#syncTimer) return
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined
      void this.#sync()
    }, delayMs)
  }

  async #sync(): Promise<void> {
    if (this.#stopped || !this.#syncEnabled) return this.#checkIdle()
    this.#syncRunning = true
    const signal = this.#abort.signal
    let batch: string[] = []
    try {
      do {
        this.#syncAgain = false
        if (this.#needsReset) {
          const removed = await this.#registry.unpublishAll(signal)
          this.#published.clear()
          this.#needsReset = false
          this.#quotaReached = false
          this.#log.info({ removed: removed.files }, 'registry reset: entries of an earlier run removed')
        }
        const due = this.#due()
        for (let i = 0; i < due.unpublish.length && !this.#stopped; i += REGISTRY_MAX_FILES_PER_REQUEST) {
          batch = due.unpublish.slice(i, i + REGISTRY_MAX_FILES_PER_REQUEST)
          await this.#registry.unpublish(batch, signal)
          for (const path of batch) this.#published.delete(path)
          this.#sentSinceInStep += batch.length
        }
        for (let i = 0; i < due.publish.length && !this.#stopped; i += REGISTRY_MAX_FILES_PER_REQUEST) {
          batch = due.publish.slice(i, i + REGISTRY_MAX_FILES_PER_REQUEST)
          const files: RegistryFile[] = []
          const signatures: [string, string][] = []
          for (const path of batch) {
            const entry = this.#index.get(path)
            if (!entry?.sha256) continue
            files.push({ path, name: entry.name, sha256: entry.sha256, size: entry.size })
            signatures.push([path, signature(entry)])
          }
          if (files.length === 0) continue
          await this.#registry.publish(files, signal)
          for (const [path, sig] of signatures) this.#published.set(path, sig)
          this.#sentSinceInStep += files.length
        }
        batch = []
      } while (this.#syncAgain && !this.#stopped)
      this.#failures = 0
      this.#lastError = undefined
      if (this.#sentSinceInStep > 0 && this.#pendingCount() === 0) {
        this.#log.info({ published: this.#published.size, sent: this.#sentSinceInStep }, 'registry in step')
        this.#sentSinceInStep = 0
      }
    } catch (err) {
      if (!this.#stopped) this.#onSyncError(err, batch)
    } finally {
      this.#syncRunning = false
      // Changes that came in meanwhile go now, unless a retry is already set for later.
      if (this.#syncAgain) {
        this.#syncAgain = false
        this.#armSync(0)
      }
      this.#checkIdle()
    }
  }

  #onSyncError(err: unknown, batch: string[]): void {
    this.#lastError = describeError(err)
    this.#notify()
    if (err instanceof TrackerHttpError && !isTransientTrackerError(err)) {
      if (err.status === 409) {
        this.#quotaReached = true
        this.#log.warn({ published: this.#published.size, message: err.message }, 'the tracker refuses more entries (registry_full); publishing stops growing until the next resync')
        this.#armSync(0)
        return
      }
      if (err.status === 404) {
        this.#syncEnabled = false
        this.#log.warn({ message: err.message }, 'the tracker has no file registry; not publishing')
        return
      }
      if (err.status === 400) {
        for (const path of batch) this.#rejected.add(path)
        this.#log.warn({ files: batch.length, message: err.message }, 'the tracker refused a batch of entries; they are left out')
        this.#armSync(0)
        return
      }
      if (err.status === 401 || err.status === 403) {
        // Not (or no longer) registered: the runtime's presence registers again; start over then.
        this.#needsReset = true
      }
    }
    this.#failures++
    const base = this.#opts.backoffBaseMs ?? 2000
    const max = this.#opts.backoffMaxMs ?? 5 * 60_000
    const retryAfter = err instanceof TrackerHttpError ? err.retryAfterMs : undefined
    const delay = Math.max(retryAfter ?? 0, Math.min(max, base * 2 ** (this.#failures - 1)))
    this.#log.warn({ err: this.#lastError, retry_in_ms: delay }, 'publishing to the tracker failed; retrying')
    this.#armSync(delay)
  }
}

/** Load the hash cache and start publishing `root` in the background. */
export async function startPublisher(options: PublisherOptions): Promise<Publisher> {
  const root = resolve(options.root)
  const cache = await HashCache.load(options.cacheFile, root, options.logger)
  const publisher = new SharePublisher({ ...options, root }, cache)
  publisher.start()
  return publisher
}
