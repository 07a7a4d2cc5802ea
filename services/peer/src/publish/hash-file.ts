/** SHA-256 of a file's content, streamed (1 MiB reads), abortable, reporting bytes as they pass. */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

export async function hashFile(path: string, options: { signal?: AbortSignal; onBytes?: (n: number) => void } = {}): Promise<string> {
  const hash = createHash('sha256')
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024, ...(options.signal ? { signal: options.signal } : {}) })
  for await (const chunk of stream) {
    hash.update(chunk as Buffer)
    options.onBytes?.((chunk as Buffer).length)
  }
  return hash.digest('hex')
}
