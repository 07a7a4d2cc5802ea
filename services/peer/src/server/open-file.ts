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

/**
 * An open share file for one request. A class rather than an object with a closure: a request makes
 * one, and (under tsx's keepNames) every named closure costs a defineProperty.
 */
export class OpenedFile {
  #released = false
  constructor(
    readonly fd: number,
    readonly stat: Stats,
    /** The logical name (last request segment), for Content-Type and Content-Disposition. */
    readonly name: string,
    /** The cache entry when the descriptor is shared through the open-file cache. */
    readonly cached: CachedFile | undefined,
    readonly fs: MetadataFs,
  ) {}

  /** Give the descriptor back (closed, or left to the cache). Only the first call counts. */
  release(): void {
    if (this.#released) return
    this.#released = true
    if (this.cached) this.cached.release()
    else this.fs.close(this.fd)
  }
}

/** What opening a share file needs: the root, the dotfile rule, the calls, and optionally the cache. */
export interface ShareFiles {
  root: ShareRoot
  showDotfiles: boolean
  fs: MetadataFs
  openFiles?: OpenFileCache | undefined
}

export const notFound = (): HttpError => new HttpError(404, ErrorCode.notFound, 'no such file in this share')

export async function openShareFile(files: ShareFiles, segments: readonly string[]): Promise<OpenedFile> {
  const name = segments[segments.length - 1]
  if (name === undefined) throw new HttpError(400, PeerErrorCode.notAFile, 'the share root is a folder, not a file')
  const cache = files.openFiles?.enabled ? files.openFiles : undefined
  // Segments never contain '/' (decodeSharePath refuses it), so joining them is a unique key.
  const key = cache ? segments.join('/') : ''
  if (cache) {
    const hit = await cache.get(key)
    if (hit) return new OpenedFile(hit.fd, hit.stat, name, hit, files.fs)
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
  return new OpenedFile(fd, stat, name, cache?.add(key, real, fd, stat), fs)
}
