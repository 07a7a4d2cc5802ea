/**
 * A mutual-TLS client that writes raw bytes and reads raw HTTP/1.1 answers: for tests that need to
 * control exactly what goes on the wire (pipelining, split writes, odd heads) and see exactly what
 * comes back (status line, header order and spelling, framing).
 */
import { connect, type TLSSocket } from 'node:tls'
import type { TestIdentity } from '../helper.js'

export interface RawResponse {
  status: number
  /** [name, value] in the order sent, names as spelled on the wire. */
  rawHeaders: [string, string][]
  /** Lower-case name → value (the last one). */
  headers: Record<string, string>
  body: string
  json: () => unknown
}

export class RawClient {
  private buffer = Buffer.alloc(0)
  private waiting: (() => void)[] = []
  readonly closed: Promise<void>
  private isClosed = false

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk])
      this.wake()
    })
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true
        this.wake()
        resolve()
      }),
    )
    socket.on('error', () => undefined)
  }

  static connect(port: number, identity?: TestIdentity): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        rejectUnauthorized: false,
        ...(identity ? { cert: identity.certPem, key: identity.keyPem } : {}),
      })
      socket.once('secureConnect', () => resolve(new RawClient(socket)))
      socket.once('error', reject)
    })
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())))
  }

  /** Write a request built from its parts (Host and, with a body, Content-Length added). */
  request(method: string, path: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<void> {
    return this.write(requestBytes(method, path, options))
  }

  get isOpen(): boolean {
    return !this.isClosed
  }

  /** The next complete answer; rejects when the connection closes first. */
  async response(timeoutMs = 5000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const parsed = this.take()
      if (parsed) return parsed
      if (this.isClosed) throw new Error(`connection closed before a complete answer (${this.buffer.length} bytes pending)`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error('no answer in time')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiting.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** Bytes received and not yet taken as an answer. */
  get pendingText(): string {
    return this.buffer.toString('latin1')
  }

  end(): void {
    this.socket.end()
  }

  destroy(): void {
    this.socket.destroy()
  }

  private wake(): void {
    for (const w of this.waiting.splice(0)) w()
  }

  private take(): RawResponse | undefined {
    const end = this.buffer.indexOf('\r\n\r\n')
    if (end === -1) return undefined
    const lines = this.buffer.toString('latin1', 0, end).split('\r\n')
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1])
    const rawHeaders = lines.slice(1).map((line) => {
      const colon = line.indexOf(':')
      return [line.slice(0, colon), line.slice(colon + 1).trim()] as [string, string]
    })
    const headers = Object.fromEntries(rawHeaders.map(([name, value]) => [name.toLowerCase(), value]))
    const length = Number(headers['content-length'] ?? 0)
    if (this.buffer.length < end + 4 + length) return undefined
    const body = this.buffer.toString('utf8', end + 4, end + 4 + length)
    this.buffer = this.buffer.subarray(end + 4 + length)
    return { status, rawHeaders, headers, body, json: () => JSON.parse(body) }
  }
}

export function requestBytes(method: string, path: string, options: { body?: string; headers?: Record<string, string> } = {}): Buffer {
  const headers: Record<string, string> = { Host: 'localhost', ...options.headers }
  if (options.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
    headers['Content-Length'] = String(Buffer.byteLength(options.body))
  }
  const head = [`${method} ${path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n')
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), Buffer.from(options.body ?? '', 'utf8')])
}

export const json = { 'Content-Type': 'application/json' }
