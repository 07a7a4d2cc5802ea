/**
 * Open a share file for reading, safely: the path is realpath-contained first, then opened without
 * following a final symlink and without blocking (a FIFO swapped in would otherwise hang a libuv
 * thread), and the open descriptor is checked to be a regular file. From here on everything reads
 * through that one descriptor, so later renames or deletions cannot redirect the response.
 */
import { type Stats } from 'node:fs'
import { ErrorCode, PeerErrorCode } from '@flashback/protocol'
import { resolveInsideRoot, type ShareRoot } from './path-guard.js'
import { HttpError } from './reply.js'
import { type MetadataFs } from './metadata-fs.js'

export interface OpenedFile {
  fd: number
  stat: Stats
  /** The logical name (last request segment), for Content-Type and Content-Disposition. */
  name: string
}

export const notFound = (): HttpError => new HttpError(404, ErrorCode.notFound, 'no such file in this share')

export async function openShareFile(root: ShareRoot, segments: readonly string[], showDotfiles: boolean, fs: MetadataFs): Promise<OpenedFile> {
  const real = await resolveInsideRoot(root, segments, showDotfiles, fs)
  if (real === undefined) throw notFound()
  const name = segments[segments.length - 1]
  if (name === undefined) throw new HttpError(400, PeerErrorCode.notAFile, 'the share root is a folder, not a file')
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
  return { fd, stat, name }
}
