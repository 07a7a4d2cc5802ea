/**
 * The persistent hash cache: the SHA-256 of every shared file, keyed by its path inside the share,
 * its size and its modification time, so a restart hashes again only what changed.
 *
 *   { "version": 1, "root": "/abs/share", "entries": { "<path>": [size, mtimeMs, "<sha256>"] } }
 *
 * Written atomically (temp file + rename, 0600). A missing, unreadable, corrupt or foreign file (another
 * version, another share root) is a cold start, never an error. A stale entry only costs a hash: an
 * entry is used only when size and mtime both match exactly.
 */
import { readFile } from 'node:fs/promises'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { writeFileAtomic } from '@flashback/identity'
import { silentLogger, type Logger } from '../runtime/logger.js'

const VERSION = 1
const SHA256 = /^[0-9a-f]{64}$/

type Entry = [size: number, mtimeMs: number, sha256: string]

export class HashCache {
  readonly file: string
  readonly root: string
  readonly #entries: Map<string, Entry>
  #dirty = false
  #saving: Promise<void> = Promise.resolve()

  private constructor(file: string, root: string, entries: Map<string, Entry>) {
    this.file = file
    this.root = root
    this.#entries = entries
  }

  /** Read the cache for `root` from `file` (an empty cache when there is none usable). */
  static async load(file: string, root: string, logger: Logger = silentLogger): Promise<HashCache> {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ file, err: (err as Error).message }, 'hash cache unreadable; hashing from scratch')
      return new HashCache(file, root, new Map())
    }
    const entries = new Map<string, Entry>()
    try {
      const parsed = JSON.parse(text) as { version?: unknown; root?: unknown; entries?: unknown }
      if (parsed.version !== VERSION || parsed.root !== root || !parsed.entries || typeof parsed.entries !== 'object') {
        logger.info({ file }, 'hash cache is for another share or version; hashing from scratch')
        return new HashCache(file, root, entries)
      }
      for (const [path, value] of Object.entries(parsed.entries as Record<string, unknown>)) {
        if (!Array.isArray(value) || value.length !== 3) continue
        const [size, mtimeMs, sha256] = value as unknown[]
        if (typeof size !== 'number' || typeof mtimeMs !== 'number' || typeof sha256 !== 'string' || !SHA256.test(sha256)) continue
        entries.set(path, [size, mtimeMs, sha256])
      }
    } catch {
      logger.warn({ file }, 'hash cache is corrupt; hashing from scratch')
      return new HashCache(file, root, new Map())
    }
    return new HashCache(file, root, entries)
  }

  get size(): number {
    return this.#entries.size
  }

  /** True when something changed since the last save. */
  get dirty(): boolean {
    return this.#dirty
  }

  /** The hash of `path` when its size and mtime are exactly the cached ones. */
  get(path: string, size: number, mtimeMs: number): string | undefined {
    const entry = this.#entries.get(path)
    return entry && entry[0] === size && entry[1] === mtimeMs ? entry[2] : undefined
  }

  set(path: string, size: number, mtimeMs: number, sha256: string): void {
    const entry = this.#entries.get(path)
    if (entry && entry[0] === size && entry[1] === mtimeMs && entry[2] === sha256) return
    this.#entries.set(path, [size, mtimeMs, sha256])
    this.#dirty = true
  }

  delete(path: string): void {
    if (this.#entries.delete(path)) this.#dirty = true
  }

  /** Forget every path for which `keep` is false (files gone since). */
  prune(keep: (path: string) => boolean): number {
    let removed = 0
    for (const path of this.#entries.keys()) {
      if (!keep(path)) {
        this.#entries.delete(path)
        removed++
      }
    }
    if (removed > 0) this.#dirty = true
    return removed
  }

  /**
   * Write the cache if it changed (atomically, 0600). Saves run one after another, so a save resolves
   * only once everything set before it is on disk.
   */
  save(): Promise<void> {
    const run = this.#saving.then(() => this.#write())
    this.#saving = run.catch(() => {})
    return run
  }

  async #write(): Promise<void> {
    if (!this.#dirty) return
    // Cleared first: a change made while writing marks it dirty again for the next save.
    this.#dirty = false
    const entries: Record<string, Entry> = {}
    for (const [path, entry] of this.#entries) entries[path] = entry
    try {
      await mkdir(dirname(this.file), { recursive: true, mode: 0o700 })
      await writeFileAtomic(this.file, JSON.stringify({ version: VERSION, root: this.root, entries }), 0o600)
    } catch (err) {
      this.#dirty = true
      throw err
    }
  }
}
