/**
 * Folder listings, paged, for folders of any size.
 *
 * A page is cut from a *name index* of the folder: every visible name with its kind (folder or file),
 * sorted folders first, then by name. Building the index reads names only (`opendir` hands out the
 * kind with each name, so no stat is needed, except for symlinks, which are resolved and checked
 * for containment with a bounded number in flight). Only the entries of the requested page are then
 * stat'ed, again with bounded concurrency, for size and mtime: a 100,000-file folder costs 100,000
 * names in memory (a few MB), never 100,000 stat results. The server passes its MetadataFs, so these
 * lstat calls are synchronous while the file system is fast (5-10x quicker than the thread pool for
 * a page of 10,000); the page is then described in batches with a turn of the event loop between
 * them, so a big page never holds the loop for more than a few milliseconds.
 *
 * The cursor is the last (kind, name) of the previous page, encoded; the next page starts at the first
 * entry after it in sort order (binary search). No state lives on the server between pages, a cursor
 * never expires, and entries added or removed between pages neither repeat nor shift the rest.
 * The index of recently listed folders is cached, keyed by the folder's real path and checked against
 * its inode, mtime and ctime on every request, so walking a big folder page by page reads it once.
 * Each page entry is re-checked on disk (lstat, and realpath containment for symlinks) whatever the
 * cache says.
 */
import * as fsp from 'node:fs/promises'
import { type Dir, type Stats } from 'node:fs'
import { join } from 'node:path'
import mime from 'mime-types'
import { type FileEntry } from '@flashback/protocol'
import { nameProblem, relativeInsideRoot, type NameRules, type ShareRoot } from './path-guard.js'

export interface IndexEntry {
  name: string
  /** name.toLowerCase(), kept for sorting and cursor search. */
  lower: string
  dir: boolean
}

/** The file-system calls a listing makes (injectable, so tests can count them). */
export interface ListingFs {
  opendir(path: string, options: { bufferSize: number }): Promise<Dir>
  lstat(path: string): Promise<Stats>
  stat(path: string): Promise<Stats>
  realpath(path: string): Promise<string>
}

const nodeFs: ListingFs = {
  opendir: (path, options) => fsp.opendir(path, options),
  lstat: (path) => fsp.lstat(path),
  stat: (path) => fsp.stat(path),
  realpath: (path) => fsp.realpath(path),
}

export interface ListingOptions extends NameRules {
  root: ShareRoot
  /** stat/realpath calls in flight at once while building an index or a page. */
  concurrency: number
  fs?: ListingFs
}

/** Folders first; then case-insensitively; then by code unit, so the order is total and stable. */
export function compareEntries(a: IndexEntry, b: IndexEntry): number {
  if (a.dir !== b.dir) return a.dir ? -1 : 1
  if (a.lower !== b.lower) return a.lower < b.lower ? -1 : 1
  if (a.name !== b.name) return a.name < b.name ? -1 : 1
  return 0
}

export function encodeCursor(entry: { name: string; dir: boolean }): string {
  return Buffer.from(`${entry.dir ? 'd' : 'f'}${entry.name}`, 'utf8').toString('base64url')
}

/** The (kind, name) a cursor stands for, or undefined for anything that is not one of ours. */
export function decodeCursor(cursor: string): IndexEntry | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  if (Buffer.from(text, 'utf8').toString('base64url') !== cursor) return undefined
  const kind = text[0]
  const name = text.slice(1)
  if ((kind !== 'd' && kind !== 'f') || name === '') return undefined
  return { name, lower: name.toLowerCase(), dir: kind === 'd' }
}

/** Index of the first entry that sorts after `after` (binary search; entries are sorted). */
export function startAfter(entries: readonly IndexEntry[], after: IndexEntry | undefined): number {
  if (after === undefined) return 0
  let lo = 0
  let hi = entries.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareEntries(entries[mid] as IndexEntry, after) <= 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Run `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/** What a name in the folder really is, following a symlink only while it stays inside the root. */
async function classify(path: string, opts: ListingOptions): Promise<{ dir: boolean; stat: Stats } | undefined> {
  const fs = opts.fs ?? nodeFs
  try {
    let st = await fs.lstat(path)
    if (st.isSymbolicLink()) {
      const real = await fs.realpath(path)
      if (relativeInsideRoot(opts.root, real, opts.showDotfiles) === undefined) return undefined
      st = await fs.stat(real)
    }
    if (st.isDirectory()) return { dir: true, stat: st }
    if (st.isFile()) return { dir: false, stat: st }
    return undefined // sockets, FIFOs, devices: never served, never listed
  } catch {
    return undefined // vanished, unreadable, dangling or looping link
  }
}

/** Read every visible name of a real folder path into a sorted index. */
export async function buildIndex(realDir: string, opts: ListingOptions): Promise<IndexEntry[]> {
  const entries: IndexEntry[] = []
  const unresolved: string[] = []
  const dir = await (opts.fs ?? nodeFs).opendir(realDir, { bufferSize: 256 })
  for await (const d of dir) {
    if (nameProblem(d.name, opts) !== undefined) continue
    if (d.isDirectory()) entries.push({ name: d.name, lower: d.name.toLowerCase(), dir: true })
    else if (d.isFile()) entries.push({ name: d.name, lower: d.name.toLowerCase(), dir: false })
    // Symlinks, and names whose kind the file system did not report, need a look on disk.
    else if (d.isSymbolicLink() || !(d.isFIFO() || d.isSocket() || d.isBlockDevice() || d.isCharacterDevice())) unresolved.push(d.name)
  }
  const resolved = await mapBounded(unresolved, opts.concurrency, async (name) => {
    const kind = await classify(join(realDir, name), opts)
    return kind && { name, lower: name.toLowerCase(), dir: kind.dir }
  })
  for (const e of resolved) if (e) entries.push(e)
  entries.sort(compareEntries)
  return entries
}

/** Size, mtime and MIME of one page of the index, re-checked on disk. Vanished entries drop out. */
/** Entries described between two turns of the event loop. */
const DESCRIBE_BATCH = 256

export async function describePage(realDir: string, logicalDir: string, page: readonly IndexEntry[], opts: ListingOptions): Promise<FileEntry[]> {
  const described: (FileEntry | undefined)[] = []
  for (let from = 0; from < page.length; from += DESCRIBE_BATCH) {
    if (from > 0) await new Promise((resolve) => setImmediate(resolve))
    described.push(...(await describeBatch(realDir, logicalDir, page.slice(from, from + DESCRIBE_BATCH), opts)))
  }
  return described.filter((e): e is FileEntry => e !== undefined)
}

function describeBatch(realDir: string, logicalDir: string, page: readonly IndexEntry[], opts: ListingOptions): Promise<(FileEntry | undefined)[]> {
  return mapBounded(page, opts.concurrency, async (e): Promise<FileEntry | undefined> => {
    const kind = await classify(join(realDir, e.name), opts)
    if (!kind) return undefined
    return {
      name: e.name,
      path: logicalDir === '' ? e.name : `${logicalDir}/${e.name}`,
      type: kind.dir ? 'directory' : 'file',
      size: kind.dir ? 0 : kind.stat.size,
      mtime: kind.stat.mtime.toISOString(),
      mime: kind.dir ? 'inode/directory' : mime.lookup(e.name) || 'application/octet-stream',
    }
  })
}

interface CachedIndex {
  ino: number
  mtimeMs: number
  ctimeMs: number
  builtAt: number
  entries: Promise<IndexEntry[]>
}

/**
 * Name indexes of recently listed folders. An index is reused only while the folder's inode, mtime
 * and ctime are unchanged (any add, remove or rename in it changes them) and for at most `ttlMs`,
 * which bounds staleness on file systems with coarse timestamps.
 */
export class IndexCache {
  readonly #map = new Map<string, CachedIndex>()
  constructor(
    readonly maxFolders = 16,
    readonly ttlMs = 10_000,
  ) {}

  get(realDir: string, dirStat: Stats, build: () => Promise<IndexEntry[]>): Promise<IndexEntry[]> {
    const now = Date.now()
    const hit = this.#map.get(realDir)
    if (hit && hit.ino === dirStat.ino && hit.mtimeMs === dirStat.mtimeMs && hit.ctimeMs === dirStat.ctimeMs && now - hit.builtAt < this.ttlMs) {
      // Refresh its place in the LRU order.
      this.#map.delete(realDir)
      this.#map.set(realDir, hit)
      return hit.entries
    }
    const entries = build()
    const entry: CachedIndex = { ino: dirStat.ino, mtimeMs: dirStat.mtimeMs, ctimeMs: dirStat.ctimeMs, builtAt: now, entries }
    this.#map.delete(realDir)
    this.#map.set(realDir, entry)
    // A failed build is not worth keeping.
    entries.catch(() => {
      if (this.#map.get(realDir) === entry) this.#map.delete(realDir)
    })
    while (this.#map.size > this.maxFolders) {
      const oldest = this.#map.keys().next().value as string
      this.#map.delete(oldest)
    }
    return entries
  }

  clear(): void {
    this.#map.clear()
  }
}

export interface ListingPage {
  entries: FileEntry[]
  nextCursor?: string
}

/** One page of a folder: `limit` entries after `cursor`, described from disk. */
export async function listPage(
  realDir: string,
  logicalDir: string,
  index: readonly IndexEntry[],
  limit: number,
  cursor: IndexEntry | undefined,
  opts: ListingOptions,
): Promise<ListingPage> {
  const from = startAfter(index, cursor)
  const page = index.slice(from, from + limit)
  const entries = await describePage(realDir, logicalDir, page, opts)
  const last = page[page.length - 1]
  return from + limit < index.length && last ? { entries, nextCursor: encodeCursor(last) } : { entries }
}
