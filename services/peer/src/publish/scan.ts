/**
 * Walking the share for the publisher: regular files only (symbolic links are not followed, so no
 * cycle and nothing outside the share), names the peer server would serve (nameProblem: dotfiles
 * hidden unless shown, Windows rules on Windows), paths the registry accepts (≤ 1024 characters,
 * no control characters). The walk is deterministic: a folder's files, then its subfolders, each in
 * name order; the event loop gets a turn every few hundred entries.
 */
import { lstat, opendir } from 'node:fs/promises'
import { join } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { REGISTRY_MAX_NAME_LENGTH, REGISTRY_MAX_PATH_LENGTH } from '@flashback/protocol'
import { nameProblem, type NameRules } from '../server/path-guard.js'
import { silentLogger, type Logger } from '../runtime/logger.js'

export interface ScannedFile {
  /** Inside the share, '/'-separated. */
  path: string
  name: string
  size: number
  mtimeMs: number
}

export interface ScanOptions {
  rules: NameRules
  /** Stop after this many files (the rest is reported as truncated). */
  maxFiles: number
  /** Absolute paths never listed (the hash cache and its temporary files, when they live inside the share). */
  exclude?: (absolutePath: string) => boolean
  signal?: AbortSignal
  logger?: Logger
}

export interface ScanResult {
  files: ScannedFile[]
  /** More files were there than maxFiles. */
  truncated: boolean
  /** Entries left out (links, special files, unservable names, unreadable folders). */
  skipped: number
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

/** Whether a path inside the share (relative, '/'-separated) may be published at all. */
export function publishablePath(path: string, rules: NameRules): boolean {
  if (path === '' || path.length > REGISTRY_MAX_PATH_LENGTH || CONTROL.test(path)) return false
  const segments = path.split('/')
  const name = segments[segments.length - 1] as string
  if (name.length > REGISTRY_MAX_NAME_LENGTH) return false
  return segments.every((segment) => nameProblem(segment, rules) === undefined)
}

/** One file's publishable facts, or undefined when it is not a publishable regular file (or gone). */
export async function statShareFile(root: string, path: string, rules: NameRules): Promise<ScannedFile | undefined> {
  if (!publishablePath(path, rules)) return undefined
  try {
    const info = await lstat(join(root, ...path.split('/')))
    if (!info.isFile()) return undefined
    return { path, name: path.slice(path.lastIndexOf('/') + 1), size: info.size, mtimeMs: info.mtimeMs }
  } catch {
    return undefined
  }
}

/** Every publishable file under `under` ('' = the whole share). */
export async function scanShare(root: string, under: string, options: ScanOptions): Promise<ScanResult> {
  const log = options.logger ?? silentLogger
  const files: ScannedFile[] = []
  let skipped = 0
  let truncated = false
  let seen = 0
  const stack: string[] = [under]
  while (stack.length > 0) {
    if (options.signal?.aborted) break
    const dir = stack.pop() as string
    const absolute = dir === '' ? root : join(root, ...dir.split('/'))
    let entries: { name: string; isFile(): boolean; isDirectory(): boolean }[]
    try {
      entries = []
      for await (const entry of await opendir(absolute)) entries.push(entry)
    } catch (err) {
      // A folder that vanished or cannot be read is skipped, not fatal.
      if (dir !== under) skipped++
      log.debug({ path: dir, err: (err as Error).message }, 'cannot read a shared folder')
      continue
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const subdirs: string[] = []
    for (const entry of entries) {
      if (++seen % 256 === 0) await nextTurn()
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`
      if (!publishablePath(path, options.rules) || options.exclude?.(join(absolute, entry.name))) {
        skipped++
        continue
      }
      if (entry.isDirectory()) {
        subdirs.push(path)
        continue
      }
      if (!entry.isFile()) {
        skipped++
        continue
      }
      if (files.length >= options.maxFiles) {
        truncated = true
        break
      }
      try {
        const info = await lstat(join(absolute, entry.name))
        if (!info.isFile()) {
          skipped++
          continue
        }
        files.push({ path, name: entry.name, size: info.size, mtimeMs: info.mtimeMs })
      } catch {
        skipped++
      }
    }
    if (truncated) break
    // Pushed in reverse so the stack pops them in name order.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i] as string)
  }
  return { files, truncated, skipped }
}
