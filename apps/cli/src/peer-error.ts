import { type Readable } from 'node:stream'
import { PeerHttpError } from '@flashback/peer'

const MAX_ERROR_BYTES = 64 * 1024

/** A peer's error answer (`{ error, message }`, bounded) as the runtime's PeerHttpError, so exit codes follow its status. */
export async function readPeerError(email: string, path: string, response: { statusCode: number; body: Readable }): Promise<PeerHttpError> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length
      if (size > MAX_ERROR_BYTES) break
      chunks.push(chunk as Buffer)
    }
  } catch {
    // the status says enough
  }
  response.body.destroy()
  let code = `http_${response.statusCode}`
  let message = `${email} answered ${response.statusCode} for /${path}`
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: unknown; message?: unknown }
    if (typeof body.error === 'string') code = body.error.slice(0, 64)
    if (typeof body.message === 'string') message = `${email}:/${path}: ${body.message.slice(0, 500)}`
  } catch {
    // not JSON: keep the generic message
  }
  return new PeerHttpError(email, response.statusCode, code, message)
}
