/**
 * Open files kept for a moment (what nginx's `open_file_cache` does), so that a burst of requests for
 * one file (a video player seeking, a download manager fetching ranges over 32 connections) resolves
 * and opens it once, not once per request.
 *
 * An entry maps a request's share-relative path to the real path it resolved to and the descriptor
 * opened on it. It is made only by the full check (open-file.ts: realpath, containment, dot-names,
 * O_NOFOLLOW open, regular file) and trusted for `ttlMs` at most, counted from that check, never
 * extended by use. While it lives, every request still re-validates it with one `lstat` of the real
 * path, which must show
 *
 * - the very inode the descriptor has open (same device and inode number: while the descriptor is
 *   open the inode cannot be freed, so its number cannot have gone to another file). A file replaced
 *   (an editor's save-by-rename, delete and re-create), deleted, or whose last name was swapped for a
 *   symlink fails this and goes back through the full check at once;
 * - an unchanged ctime: any change to the inode itself (written to, renamed, linked or unlinked,
 *   chmod or chown) sends the request through the full check too, so a file written in place answers
 *   with its new size, ETag and Last-Modified on the very next request, and a file made unreadable
 *   stops being served.
 *
 * Being the same inode, that `lstat` is also the file's current fstat: the response uses its size and
 * times.
 *
 * The trade-off, bounded by the TTL (1 s by default): a *folder above* the file that is swapped for a
 * symlink is not seen by `lstat` of the final name, so a request may, for at most the rest of the TTL,
 * still get the same inode it got a moment ago, provided that inode is still reachable at its old real
 * path. Nothing that was not a regular file inside the share at the last full check is ever served
 * from here, and after the TTL the full check decides again.
 *
 * Descriptors are reference-counted: the cache holds one reference, every transfer using the file
 * another. An entry dropped (expired, replaced, evicted from the bounded LRU, server closing) is
 * closed when its last transfer ends. Idle entries are swept every TTL, so an idle server holds no
 * descriptors for long.
 */
import { type Stats } from 'node:fs'
import { validatorsFor, type Validators } from './conditional.js'

export interface OpenFileCacheOptions {
  /** How long a full check is trusted (default 1000 ms). 0 turns the cache off. */
  ttlMs?: number
  /** Open files kept at most (default 128); the least recently used goes first. */
  max?: number
  /** The clock (ms), for tests. */
  now?: () => number
}

export interface CacheFs {
  lstat(path: string): Promise<Stats>
  close(fd: number): void
}

/** One open file: the descriptor, its latest fstat and what responses derive from it. */
export class CachedFile {
  #refs = 1
  #validators: { size: number; mtimeMs: number; v: Validators } | undefined
  /** Per-file strings a route computes once (Content-Type, Content-Disposition), keyed by route. */
  readonly memo = new Map<string, string>()

  constructor(
    readonly key: string,
    readonly real: string,
    readonly fd: number,
    public stat: Stats,
    readonly expires: number,
    readonly close: (fd: number) => void,
  ) {}

  /** ETag and Last-Modified for `stat` (a stat of this file), formatted once per size and mtime. */
  validatorsOf(stat: Stats): Validators {
    const known = this.#validators
    if (known !== undefined && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.v
    const v = validatorsFor(stat)
    this.#validators = { size: stat.size, mtimeMs: stat.mtimeMs, v }
    return v
  }

  acquire(): void {
    this.#refs++
  }

  release(): void {
    if (--this.#refs === 0) this.close(this.fd)
  }

  /** True once every holder (the cache included) has let go and the descriptor is closed. */
  get closed(): boolean {
    return this.#refs === 0
  }
}

export class OpenFileCache {
  readonly ttlMs: number
  readonly max: number
  readonly #now: () => number
  readonly #fs: CacheFs
  /** In least-recently-used order: a hit moves its entry to the end. */
  readonly #entries = new Map<string, CachedFile>()
  #sweeper: NodeJS.Timeout | undefined

  constructor(fs: CacheFs, opts: OpenFileCacheOptions = {}) {
    this.#fs = fs
    this.ttlMs = opts.ttlMs ?? 1000
    this.max = opts.max ?? 128
    this.#now = opts.now ?? Date.now
  }

  get enabled(): boolean {
    return this.ttlMs > 0 && this.max > 0
  }

  get size(): number {
    return this.#entries.size
  }

  /**
   * The cached file for `key`, re-validated (same inode and ctime at its real path) and acquired
   * for the caller, who must `release()` it; undefined when there is none or it no longer holds.
   */
  async get(key: string): Promise<CachedFile | undefined> {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (this.#now() >= entry.expires) {
      this.#drop(entry)
      return undefined
    }
    let named: Stats
    try {
      named = await this.#fs.lstat(entry.real)
    } catch {
      this.#drop(entry)
      return undefined
    }
    // The entry may have been dropped while the call above was in the thread pool.
    if (this.#entries.get(key) !== entry) return undefined
    const known = entry.stat
    // Another inode at the real path: replaced, or the name now a symlink. A changed ctime: renamed,
    // linked or unlinked, permissions or owner changed, or written to; the full check decides again
    // (an unreadable file must stop being served, and a growing file simply costs what it did).
    if (named.ino !== known.ino || named.dev !== known.dev || named.ctimeMs !== known.ctimeMs) {
      this.#drop(entry)
      return undefined
    }
    entry.stat = named
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    entry.acquire()
    return entry
  }

  /**
   * Keep a file that just passed the full check; returns it acquired for the caller. The cache holds
   * its own reference from here on.
   */
  add(key: string, real: string, fd: number, stat: Stats): CachedFile {
    const entry = new CachedFile(key, real, fd, stat, this.#now() + this.ttlMs, (n) => this.#fs.close(n))
    const previous = this.#entries.get(key)
    if (previous) this.#drop(previous)
    while (this.#entries.size >= this.max) {
      const oldest = this.#entries.values().next().value as CachedFile
      this.#drop(oldest)
    }
    this.#entries.set(key, entry)
    entry.acquire()
    this.#startSweeper()
    return entry
  }

  /** Drop every entry (descriptors in use close when their transfers end). */
  clear(): void {
    for (const entry of [...this.#entries.values()]) this.#drop(entry)
    this.#stopSweeper()
  }

  /** Drop expired entries; stops sweeping once empty. */
  sweep(): void {
    const now = this.#now()
    for (const entry of [...this.#entries.values()]) if (now >= entry.expires) this.#drop(entry)
    if (this.#entries.size === 0) this.#stopSweeper()
  }

  #drop(entry: CachedFile): void {
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key)
    else return
    entry.release()
  }

  #startSweeper(): void {
    if (this.#sweeper) return
    this.#sweeper = setInterval(() => this.sweep(), Math.max(50, this.ttlMs))
    this.#sweeper.unref()
  }

  #stopSweeper(): void {
    if (this.#sweeper) clearInterval(this.#sweeper)
    this.#sweeper = undefined
  }
}
