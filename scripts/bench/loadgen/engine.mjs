// The load generator's core: N connections over TLS (client certificates, keep-alive), each with one
// request in flight, written as raw HTTP/1.1 and read with a minimal parser. One engine runs per
// thread; the thread's share of connections and the time window come from the spec.
import tls from 'node:tls'
import { performance } from 'node:perf_hooks'
import { ResponseParser } from './response-parser.mjs'

/** Per-connection read buffer (decrypted bytes): several TLS records per read. */
const READ_BUFFER_BYTES = 64 * 1024

/** The counters of one run (one thread's, or the merge of all threads'). */
export function emptyCounts() {
  return {
    completed: 0,
    unexpected: 0,
    errors: 0,
    aborted: false,
    bytes: 0,
    bodyBytes: 0,
    connects: 0,
    firstStart: Number.NaN,
    lastEnd: Number.NaN,
    tls: null,
    elu: 0,
  }
}

/** xorshift32: cheap, seedable randomness for range offsets and request picks. */
export function makeRandom(seed) {
  let x = seed >>> 0 || 0x9e3779b9
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 4294967296
  }
}

class LatencyLog {
  constructor() {
    this.values = new Float64Array(1 << 14)
    this.length = 0
  }

  push(v) {
    if (this.length === this.values.length) {
      const next = new Float64Array(this.values.length * 2)
      next.set(this.values)
      this.values = next
    }
    this.values[this.length++] = v
  }

  toArray() {
    return this.values.slice(0, this.length)
  }
}

/**
 * Builds the function that yields the next request's bytes for a connection.
 * `requests` is { list: string[], order: 'cycle' | 'random' } or
 * { range: { path, size, block, host, headers? } } (a random block-aligned range per request).
 */
function requestSource(requests, random, offset) {
  if (requests.range) {
    const { path, size, block, host } = requests.range
    const extra = requests.range.headers ?? ''
    const blocks = Math.max(1, Math.floor(size / block))
    const prefix = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Range: bytes=`
    return () => {
      const start = Math.floor(random() * blocks) * block
      return Buffer.from(`${prefix}${start}-${Math.min(size, start + block) - 1}\r\n\r\n`, 'latin1')
    }
  }
  const list = requests.list.map((r) => (Buffer.isBuffer(r) ? r : Buffer.from(r, 'latin1')))
  if (list.length === 0) throw new Error('the request list is empty')
  if (requests.order === 'random') return () => list[Math.floor(random() * list.length)]
  let i = offset % list.length
  return () => {
    const r = list[i]
    i = (i + 1) % list.length
    return r
  }
}

/**
 * Runs one thread's share of a load spec.
 * spec: { host, port, servername, tlsOptions, identities: [{cert,key,requests?}], mode, connections,
 *         connectionOffset, requests, startAt, measureFrom, endAt (epoch ms), totalRequests?,
 *         keepBody?, seed, expect: number[] }
 * shared: Int32Array on a SharedArrayBuffer: [0] next identity (each-identity mode), [1] requests started.
 */
export function runEngine(spec, shared) {
  return new Promise((resolve) => {
    const random = makeRandom(spec.seed)
    const latencies = new LatencyLog()
    const statuses = Object.create(null)
    const errorSamples = []
    const expect = new Set(spec.expect ?? [200])
    const toLocal = (epochMs) => epochMs - performance.timeOrigin
    const measureFrom = spec.measureFrom ? toLocal(spec.measureFrom) : 0
    const endAt = spec.endAt ? toLocal(spec.endAt) : Number.POSITIVE_INFINITY
    const result = emptyCounts()
    let eluStart = null
    let stopped = false
    let open = 0

    const contexts = new Map()
    const contextFor = (idx) => {
      let ctx = contexts.get(idx)
      if (!ctx) {
        const id = spec.identities[idx]
        ctx = tls.createSecureContext({ ...spec.tlsOptions, ...(id ? { cert: id.cert, key: id.key } : {}) })
        // In each-identity mode an identity is used once: keep the map from growing without bound.
        if (spec.mode !== 'each-identity') contexts.set(idx, ctx)
      }
      return ctx
    }

    let responses = 0
    const connections = []
    const noteError = (msg) => {
      result.errors++
      if (errorSamples.length < 5) errorSamples.push(msg)
      // A server that refuses every connection would otherwise be hammered until the window ends.
      if (result.errors >= 200 && responses === 0 && !stopped) {
        stopped = true
        result.aborted = true
        for (const c of connections) c.close()
      }
    }

    const totalReached = () => {
      if (!spec.totalRequests) return false
      return Atomics.add(shared, 1, 1) >= spec.totalRequests
    }

    const finishIfDone = () => {
      if (open === 0) {
        if (eluStart) result.elu = performance.eventLoopUtilization(eluStart).utilization
        clearTimeout(endTimer)
        clearTimeout(markTimer)
        resolve({ ...result, statuses, errorSamples, latencies: latencies.toArray() })
      }
    }

    class Connection {
      constructor(index) {
        this.index = index
        this.identityIndex = spec.identities.length ? index % spec.identities.length : -1
        this.socket = null
        this.sentAt = 0
        this.connectAt = 0
        this.queue = null // each-identity mode: this identity's remaining requests
        const id = spec.identities[this.identityIndex]
        const requests = id?.requests ? { list: id.requests, order: 'cycle' } : spec.requests
        if (spec.mode !== 'each-identity') this.next = requestSource(requests, random, index)
        this.readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES)
        this.parser = new ResponseParser((res) => this.onResponse(res), { keepBody: spec.keepBody || spec.mode === 'each-identity' })
        open++
      }

      start() {
        if (spec.mode === 'each-identity') {
          const idx = Atomics.add(shared, 0, 1)
          if (idx >= spec.identities.length) return this.retire()
          this.identityIndex = idx
          this.queue = [...spec.identities[idx].requests]
        }
        this.connect()
      }

      connect() {
        if (stopped) return this.retire()
        this.connectAt = performance.now()
        this.parser.reset()
        const socket = tls.connect({
          host: spec.host,
          port: spec.port,
          servername: spec.servername,
          secureContext: contextFor(this.identityIndex),
          rejectUnauthorized: false,
          ALPNProtocols: ['http/1.1'],
          // Decrypted bytes land in this connection's own buffer, reused for every read, instead of
          // a fresh Buffer per read: at gigabytes per second, allocating and collecting those was a
          // large part of the generator's CPU (the parser copies whatever it keeps).
          onread: {
            buffer: this.readBuffer,
            callback: (length, buf) => {
              result.bytes += length
              const err = this.parser.push(buf.subarray(0, length))
              if (err) {
                noteError(err.message)
                socket.destroy()
              }
            },
          },
        })
        this.socket = socket
        socket.setNoDelay(true)
        socket.once('secureConnect', () => {
          result.connects++
          if (!result.tls) result.tls = { protocol: socket.getProtocol(), cipher: socket.getCipher()?.standardName ?? socket.getCipher()?.name }
          this.send()
        })
        socket.on('error', (err) => {
          if (!stopped) noteError(err.code ?? err.message)
        })
        socket.on('close', () => {
          if (this.socket !== socket) return
          this.socket = null
          if (this.inFlight) {
            const started = this.parser.busy
            const err = this.parser.end()
            if (!stopped && err) noteError(err.message)
            else if (!stopped && !started) noteError('connection closed before a response')
          }
          this.inFlight = false
          if (stopped) return this.retire()
          if (spec.mode === 'each-identity') {
            if (this.queue.length) noteError('connection closed before the identity was done')
            return this.start()
          }
          this.connect()
        })
      }

      send() {
        if (stopped || !this.socket) return this.close()
        let req
        if (spec.mode === 'each-identity') {
          req = this.queue.shift()
          if (req === undefined) return this.close()
          req = Buffer.from(req, 'latin1')
        } else {
          if (totalReached()) {
            stopped = true
            return this.close()
          }
          req = this.next()
        }
        this.inFlight = true
        this.sentAt = performance.now()
        if (Number.isNaN(result.firstStart)) result.firstStart = performance.timeOrigin + this.sentAt
        this.socket.write(req)
      }

      onResponse(res) {
        this.inFlight = false
        responses++
        const now = performance.now()
        const inWindow = now >= measureFrom && now <= endAt
        if (inWindow) {
          statuses[res.status] = (statuses[res.status] ?? 0) + 1
          result.completed++
          result.bodyBytes += res.bodyBytes
          result.lastEnd = performance.timeOrigin + now
          if (!expect.has(res.status)) {
            result.unexpected++
            if (errorSamples.length < 5) errorSamples.push(`${res.status} ${res.body ? res.body.toString('utf8', 0, 300) : ''}`)
          }
          latencies.push(spec.mode === 'connect' ? now - this.connectAt : now - this.sentAt)
        }
        if (spec.mode === 'connect' || res.close) {
          // A fresh TLS handshake for the next request (or the server asked to close).
          this.socket?.destroy()
          return
        }
        this.send()
      }

      close() {
        this.socket?.destroy()
      }

      retire() {
        if (this.retired) return
        this.retired = true
        open--
        finishIfDone()
      }
    }

    const startDelay = Math.max(0, (spec.startAt ? toLocal(spec.startAt) : 0) - performance.now())
    let endTimer = null
    const markTimer = setTimeout(() => {
      eluStart = performance.eventLoopUtilization()
    }, Math.max(0, measureFrom - performance.now()))
    setTimeout(() => {
      for (let c = 0; c < spec.connections; c++) connections.push(new Connection(spec.connectionOffset + c))
      if (Number.isFinite(endAt)) {
        endTimer = setTimeout(() => {
          stopped = true
          for (const c of connections) c.close()
        }, Math.max(0, endAt - performance.now()))
      }
      for (const c of connections) c.start()
    }, startDelay)
  })
}
