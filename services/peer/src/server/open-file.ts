/**
 * Open a share file for reading, safely: the path is realpath-contained first, then opened without
 * following a final symlink and without blocking (a FIFO swapped in would otherwise hang a libuv
 * thread), and the open descriptor is checked to be a regular file. From here on everything reads
 * through that one descriptor, so later renames or deletions cannot redirect the response.
 *
 * With an open-file cache, a file that passed this check a moment ago is taken from the cache instead
 * (re-validated there: see open-file-cache.ts), and a file that passes it now is kept for the next
 * requests.
 */
import { type Stats } from 'node:fs'
import { ErrorCode, PeerErrorCode } from '@flashback/protocol'
import { resolveInsideRoot, type ShareRoot } from './path-guard.js'
import { HttpError } from './reply.js'
import { type MetadataFs } from './metadata-fs.js'
import { type CachedFile, type OpenFileCache } from './open-file-cache.js'

export interface OpenedFile {
  fd: number
  stat: Stats
  /** The logical name (last request segment), for Content-Type and Content-Disposition. */
  name: string
  /** The cache entry when the descriptor is shared through the open-file cache. */
  cached: CachedFile | undefined
  /** Give the descriptor back (closed, or left to the cache). Exactly once. */
  release(): void
}

/** What opening a share file needs: the root, the dotfile rule, the calls, and optionally the cache. */
export interface ShareFiles {
  root: ShareRoot
  showDotfiles: boolean
  fs: MetadataFs
  openFiles?: OpenFileCache | undefined
}

export const notFound = (): HttpError => new HttpError(404, ErrorCode.notFound, 'no such file in this share')

function fromCache(entry: CachedFile, name: string): OpenedFile {
  let released = false
  const release = (): void => {
    if (released) return
    released = true
    entry.release()
  }
  return { fd: entry.fd, stat: entry.stat, name, cached: entry, release }
}

export async function openShareFile(files: ShareFiles, segments: readonly string[]): Promise<OpenedFile> {
  const name = segments[segments.length - 1]
  if (name === undefined) throw new HttpError(400, PeerErrorCode.notAFile, 'the share root is a folder, not a file')
  const cache = files.openFiles?.enabled ? files.openFiles : undefined
  // Segments never contain '/' (decodeSharePath refuses it), so joining them is a unique key.
  const key = cache ? segments.join('/') : ''
  if (cache) {
    const hit = await cache.get(key)
    if (hit) return fromCache(hit, name)
  }

  const { fs } = files
  const real = await resolveInsideRoot(files.root, segments, files.showDotfiles, fs)
  if (real === undefined) throw notFound()
  let fd: number
  try {
    fd = await fs.open(real)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EISDIR') throw new HttpError(400, PeerErrorCode.notAFile, 'this path is a folder, not a file')
    throw notFound()
  }
  let stat: Stats
  try {
    stat = await fs.fstat(fd)
  } catch {
    fs.close(fd)
    throw notFound()
  }
  if (!stat.isFile()) {
    fs.close(fd)
    if (stat.isDirectory()) throw new HttpError(400, PeerErrorCode.notAFile, 'this path is a folder, not a file')
    throw notFound()
  }
  if (cache) return fromCache(cache.add(key, real, fd, stat), name)
  let released = false
  return {
    fd,
    stat,
    name,
    cached: undefined,
    release: () => {
      if (released) return
      released = true
      fs.close(fd)
    },
  }
}
