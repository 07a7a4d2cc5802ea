/**
 * Send slices of an open file, interleaved with fixed buffers (the part headers of
 * multipart/byteranges), into a response. Positional reads, so several slices of one descriptor need
 * no seeking and nothing is read that will not be sent.
 *
 * Why not `fs.createReadStream(…).pipe(res)`: that allocates a fresh buffer per chunk, and at a gigabyte
 * per second the allocator and the garbage collector then cost as much CPU as the TLS encryption
 * (measured: about twice the CPU per GiB of this loop). Here chunks come from a small pool and go back
 * to it when the socket reports them written, so a download of any size touches a fixed few buffers.
 *
 * Backpressure: the next chunk is read only when the response accepts more (`write()` returned true,
 * or after 'drain'): one chunk is read ahead while the previous one is on its way, no more.
 *
 * The promised length is sacred: the response already carries Content-Length, so if the file shrinks
 * under us (a read returns 0 bytes before a slice is done) the response is destroyed with
 * FileChangedError and the client sees a cut connection, never a hang waiting for bytes that will
 * not come. The descriptor is closed exactly once, whatever ends the transfer.
 */
import { read } from 'node:fs'
import { type Writable } from 'node:stream'

export interface FileSlice {
  start: number
  /** Inclusive. */
  end: number
}

export type StreamPart = Buffer | FileSlice

export class FileChangedError extends Error {
  readonly code = 'FLASHBACK_FILE_CHANGED'
  constructor(message: string) {
    super(message)
    this.name = 'FileChangedError'
  }
}

/**
 * Downloads read 512 KiB at a time: measured against nginx on a 1 GiB file, 128 KiB chunks cost
 * about 60% more CPU per GiB, 256 KiB 40%, 512 KiB par, 1-2 MiB more again (cache misses).
 */
export const DEFAULT_CHUNK_SIZE = 512 * 1024

/** Equal-sized buffers handed out and taken back; at most `keep` are kept while idle. */
export class BufferPool {
  readonly #free: Buffer[] = []
  constructor(
    readonly size: number,
    /** Default: 16 MiB worth of buffers, at least 4. */
    readonly keep = Math.max(4, Math.floor((16 * 1024 * 1024) / size)),
  ) {}

  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.size)
  }

  give(buffer: Buffer): void {
    if (buffer.length === this.size && this.#free.length < this.keep) this.#free.push(buffer)
  }

  get idle(): number {
    return this.#free.length
  }
}

/** Total bytes the parts will produce. */
export function partsLength(parts: readonly StreamPart[]): number {
  let total = 0
  for (const p of parts) total += Buffer.isBuffer(p) ? p.length : p.end - p.start + 1
  return total
}

/**
 * Write `parts` of `fd` into `out`, then end it. Takes ownership of `fd` (closed at the end, on error
 * and when `out` closes early). Resolves when the transfer is over: undefined when complete, or the
 * error that cut it (the response is then destroyed).
 */
export function sendFileParts(
  out: Writable,
  fd: number,
  parts: readonly StreamPart[],
  pool: BufferPool,
  closeFd: (fd: number) => void,
): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let index = 0
    let position = -1
    let finished = false

    const finish = (err?: Error): void => {
      if (finished) return
      finished = true
      out.off('close', onClose)
      out.off('drain', step)
      closeFd(fd)
      if (err) out.destroy(err)
      resolve(err)
    }
    const onClose = (): void => {
      // The client went away (or the server cut it): stop reading.
      if (!out.writableFinished) finish(new Error('the connection closed before the transfer ended'))
    }
    out.on('close', onClose)

    function step(): void {
      // A loop for the in-memory parts; file reads continue from their callback.
      while (!finished) {
        const part = parts[index]
        if (part === undefined) {
          finished = true
          out.off('close', onClose)
          out.off('drain', step)
          closeFd(fd)
          out.end()
          resolve(undefined)
          return
        }
        if (Buffer.isBuffer(part)) {
          index++
          if (!out.write(part)) {
            out.once('drain', step)
            return
          }
          continue
        }
        if (position < 0) position = part.start
        const remaining = part.end - position + 1
        if (remaining <= 0) {
          index++
          position = -1
          continue
        }
        const buffer = pool.take()
        const length = Math.min(remaining, buffer.length)
        read(fd, buffer, 0, length, position, (err, bytesRead) => {
          if (finished) {
            pool.give(buffer)
            return
          }
          if (err) {
            pool.give(buffer)
            finish(err)
            return
          }
          if (bytesRead === 0) {
            pool.give(buffer)
            finish(new FileChangedError(`the file ended at byte ${position} while ${remaining} more were promised`))
            return
          }
          position += bytesRead
          if (position > part.end) {
            index++
            position = -1
          }
          // The buffer goes back to the pool only once the socket has written it.
          const accepted = out.write(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead), () => pool.give(buffer))
          if (accepted) step()
          else out.once('drain', step)
        })
        return
      }
    }
    step()
  })
}
