/**
 * A readable stream over slices of an open file, interleaved with fixed buffers (the part headers of
 * multipart/byteranges). Positional reads, so several slices of one descriptor need no seeking and
 * nothing is read that will not be sent.
 *
 * The promised length is sacred: the response already carries Content-Length, so if the file shrinks
 * under us (a read returns 0 bytes before the slice is done) the stream fails with FileChangedError.
 * The response is then destroyed and the client sees a cut connection, never a hang waiting for bytes
 * that will not come. The descriptor is closed when the stream ends or is destroyed, whatever the cause.
 */
import { close, read } from 'node:fs'
import { Readable } from 'node:stream'

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

/** Large downloads read 512 KiB at a time: few syscalls and TLS writes, memory still small per request. */
export const DEFAULT_CHUNK_SIZE = 512 * 1024

export class FileSliceStream extends Readable {
  readonly #fd: number
  readonly #parts: StreamPart[]
  readonly #chunkSize: number
  #index = 0
  /** Next file position of the current slice. */
  #position = -1
  #closed = false

  constructor(fd: number, parts: StreamPart[], chunkSize = DEFAULT_CHUNK_SIZE) {
    // Keep one chunk in flight ahead of the socket: enough to overlap disk and network, no more.
    super({ highWaterMark: chunkSize })
    this.#fd = fd
    this.#parts = parts
    this.#chunkSize = chunkSize
  }

  override _read(): void {
    const part = this.#parts[this.#index]
    if (part === undefined) {
      this.push(null)
      return
    }
    if (Buffer.isBuffer(part)) {
      this.#index++
      this.push(part)
      return
    }
    if (this.#position < 0) this.#position = part.start
    const remaining = part.end - this.#position + 1
    if (remaining <= 0) {
      this.#index++
      this.#position = -1
      this._read()
      return
    }
    const length = Math.min(remaining, this.#chunkSize)
    const buffer = Buffer.allocUnsafe(length)
    read(this.#fd, buffer, 0, length, this.#position, (err, bytesRead) => {
      if (this.destroyed) return
      if (err) {
        this.destroy(err)
        return
      }
      if (bytesRead === 0) {
        this.destroy(new FileChangedError(`the file ended at byte ${this.#position} while ${remaining} more were promised`))
        return
      }
      this.#position += bytesRead
      if (this.#position > part.end) {
        this.#index++
        this.#position = -1
      }
      this.push(bytesRead === length ? buffer : buffer.subarray(0, bytesRead))
    })
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#closeFd(() => callback(err))
  }

  #closeFd(done: () => void): void {
    if (this.#closed) {
      done()
      return
    }
    this.#closed = true
    close(this.#fd, () => done())
  }
}

/** Total bytes the parts will produce. */
export function partsLength(parts: readonly StreamPart[]): number {
  let total = 0
  for (const p of parts) total += Buffer.isBuffer(p) ? p.length : p.end - p.start + 1
  return total
}
