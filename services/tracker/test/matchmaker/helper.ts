/** A UDP client for matchmaker tests: send JSON or raw bytes, await the next datagram. */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'

export interface Received {
  raw: Buffer
  json: Record<string, unknown>
  from: RemoteInfo
}

export class UdpClient {
  readonly socket: Socket
  readonly received: Received[] = []
  #waiting: ((r: Received) => void)[] = []
  #queue: Received[] = []

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('message', (raw, from) => {
      let json: Record<string, unknown>
      try {
        json = JSON.parse(raw.toString('utf8')) as Record<string, unknown>
      } catch {
        json = { unparseable: raw.toString('hex') }
      }
      const r = { raw, json, from }
      this.received.push(r)
      const waiter = this.#waiting.shift()
      if (waiter) waiter(r)
      else this.#queue.push(r)
    })
  }

  static open(type: 'udp4' | 'udp6' = 'udp4', host = type === 'udp4' ? '127.0.0.1' : '::1'): Promise<UdpClient> {
    const socket = createSocket(type)
    return new Promise((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(0, host, () => resolve(new UdpClient(socket)))
    })
  }

  get port(): number {
    return this.socket.address().port
  }

  send(message: unknown, port: number, host = '127.0.0.1'): Promise<void> {
    const bytes = Buffer.isBuffer(message) ? message : Buffer.from(JSON.stringify(message))
    return new Promise((resolve, reject) => this.socket.send(bytes, port, host, (err) => (err ? reject(err) : resolve())))
  }

  /** The next datagram (queued or still to come); rejects after `timeoutMs` (a safety net, not a measurement). */
  next(timeoutMs = 10_000): Promise<Received> {
    const queued = this.#queue.shift()
    if (queued) return Promise.resolve(queued)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting = this.#waiting.filter((w) => w !== done)
        reject(new Error(`no datagram within ${timeoutMs} ms`))
      }, timeoutMs)
      const done = (r: Received) => {
        clearTimeout(timer)
        resolve(r)
      }
      this.#waiting.push(done)
    })
  }

  /** Datagrams already arrived and not yet taken by next(). */
  get pending(): number {
    return this.#queue.length
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()))
  }
}
