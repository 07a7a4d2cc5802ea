/**
 * The hot lane: the tracker's busiest routes (lookup, ready, heartbeat), answered straight from the
 * TLS connection, without building Node's IncomingMessage/ServerResponse or Fastify's request and
 * reply for each of them. Everything else, and every request of these routes that is not plainly
 * well formed and authorised, goes to Node's HTTP server and Fastify unchanged.
 *
 * How it stays one tracker, not two:
 * - Every connection starts in the lane. The first request the lane does not serve itself is handed
 *   over with the bytes it has read (`socket.unshift`) to Node's own HTTP connection listener, which
 *   keeps the connection from then on. Handing over is only allowed before the lane has counted or
 *   changed anything for that request, so Fastify sees it exactly as if it had had it from the start.
 * - What the lane serves is defined once, by the route plugins (../routes/registered-route.ts): the
 *   same schemas compiled by the same validator compiler, the same handler, the same serializer
 *   library; the same rate limiter, identity cache, security headers and error answers
 *   (errorReply) as the Fastify hooks. A differential test sends the same requests both ways.
 *
 * Why: on one core, Fastify's per-request machinery cost twice what the work itself does (see
 * docs/benchmarks.md): with it the tracker answered lookups at half the rate of Syncthing's
 * discovery server; without it, at about the rate of a bare node:https server.
 */
import { STATUS_CODES } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { TLSSocket } from 'node:tls'
import type { FastifyBaseLogger } from 'fastify'
import querystring from 'fast-querystring'
import { REQUEST_TIMEOUT_ANSWER } from '../client-error.js'
import { errorJson, errorReply } from '../plugins/error-handler.js'
import type { RateDecision, RateLimiter } from '../plugins/rate-limit.js'
import type { Caller, PresentedCertificate } from '../plugins/client-certificate.js'
import { mediaType, parseJsonBody } from '../plugins/json-only.js'
import { parseRequestHead, type RequestHead } from './request-head.js'

/** The input a hot route's handler gets: the same as its Fastify route's handler. */
export interface HotInput {
  caller: Caller
  query: unknown
  body: unknown
  clientAddress: string
}

/** A validator as Fastify's validator compiler returns it. */
export type Validate = (value: unknown) => { value?: unknown; error?: unknown }

export interface HotRoute {
  method: 'GET' | 'POST'
  /** The full path, prefix included. */
  path: string
  validateQuery?: Validate
  validateBody?: Validate
  /** The 200 answer's serializer (compiled from the route's response schema). */
  serialize: (value: unknown) => string
  /** The answer or an Error to answer with (thrown, rejected or returned), directly or as a promise. */
  handle: (input: HotInput) => unknown
}

export interface HotLaneOptions {
  server: HttpsServer
  /** The server's own HTTP connection listener, to which connections are handed. */
  nodeListener: (this: HttpsServer, socket: TLSSocket) => void
  securityHeaders: readonly (readonly [string, string])[]
  certificateOf: (socket: TLSSocket) => PresentedCertificate | null
  addressOf: (socket: TLSSocket) => string
  resolveCaller: (fingerprint: string) => Caller | undefined | Promise<Caller | undefined>
  rateLimiter: RateLimiter | null
  /** Requests whose body is larger go to Fastify (which answers 413). */
  bodyLimit: number
  now: () => number
  log: FastifyBaseLogger
  /** Log one debug line per request, as the Fastify path does at LOG_LEVEL=debug. */
  logRequests: boolean
}

/** A request head the lane serves, worked out once: its route and its validated query. */
interface ParsedRequest {
  head: RequestHead
  route: HotRoute
  /** The query as the route's schema validated it (frozen: it is shared by every request with this head). */
  query: unknown
  /** The JSON-only rule (plugins/json-only.ts) allows this head's body: none, or application/json. */
  bodyAllowed: boolean
}

/**
 * Distinct request heads remembered. Clients send the same head again and again (a peer
 * re-announcing, looking up its friends): parsing, routing and validating it once saves a few
 * percent of a lookup's CPU. Sized for ten thousand peers looked up in turn, because a memo smaller
 * than the set of heads in use costs more than none: entries evicted after living long enough to be
 * promoted are old-generation garbage (measured on the 10,000-peer lookup mix: 34 µs a request with
 * 4,096 entries, 33 µs with none, 28 µs with 16,384). About 0.5 KB an entry: under 10 MB when full.
 */
const PARSED_HEADS_MAX = 16384
/** Longer heads are parsed every time rather than remembered (so an entry is never more than ~1.5 KB). */
const PARSED_HEAD_MAX_CHARS = 1024

/** Node's default limit on a request head (--max-http-header-size); longer ones are Node's to refuse (431). */
const MAX_HEAD_BYTES = 16 * 1024
/** How often connections' time limits are checked (ms). */
const TIMEOUT_CHECK_MS = 1000
/**
 * A request that arrives in more pieces than this goes to Node, whose parser reads incrementally:
 * the lane joins the pieces of a request into one buffer, which for a request trickling in byte by
 * byte would cost time quadratic in its size.
 */
const MAX_PIECES = 32
/** A client that sends this much more while its previous request is still being answered is paused. */
const MAX_BUFFERED = 256 * 1024

export class HotLane {
  readonly connections = new Set<HotConnection>()
  private readonly get = new Map<string, HotRoute>()
  private readonly post = new Map<string, HotRoute>()
  private readonly parsedHeads = new Map<string, ParsedRequest>()
  private closing = false
  private dateSecond = -1
  private dateText = ''
  private readonly securityBlock: string
  /** Status line and the headers every answer starts with, per status. */
  private readonly prefixes = new Map<number, string>()
  private keepAliveTail = ''
  private keepAliveFor = -1
  private readonly checker: NodeJS.Timeout
  /** Requests served here / connections handed to Node's HTTP server (for tests and metrics). */
  readonly stats = { served: 0, handedOff: 0 }

  constructor(readonly opts: HotLaneOptions) {
    this.securityBlock = opts.securityHeaders.map(([name, value]) => `${name}: ${value}\r\n`).join('')
    // One timer for every connection's time limits, instead of a socket timer that every read and
    // write would re-arm. Checked each second: limits of tens of seconds, met to within one.
    this.checker = setInterval(() => this.checkTimeouts(), TIMEOUT_CHECK_MS).unref()
  }

  add(route: HotRoute): void {
    const table = route.method === 'GET' ? this.get : this.post
    if (table.has(route.path)) throw new Error(`hot route ${route.method} ${route.path} defined twice`)
    table.set(route.path, route)
  }

  /**
   * The request a head (the latin1 text before its blank line) asks for, when the lane serves it:
   * a hot route, and a query its schema accepts. Pure, so remembered by the head's text.
   */
  parse(text: string): ParsedRequest | undefined {
    const known = this.parsedHeads.get(text)
    if (known !== undefined) return known
    const head = parseRequestHead(text)
    const route = head && (head.method === 'GET' ? this.get : this.post).get(head.path)
    if (!head || !route) return undefined
    let query: unknown = undefined
    if (route.validateQuery) {
      // As Fastify's router reads a query string (find-my-way's default parser).
      const checked = route.validateQuery(head.query.length === 0 ? {} : querystring.parse(head.query))
      if (checked.error !== undefined) return undefined
      query = Object.freeze(checked.value)
    }
    const bodyAllowed =
      head.method !== 'POST' || (head.contentType === undefined ? head.contentLength === 0 : mediaType(head.contentType) === 'application/json')
    const parsed: ParsedRequest = { head, route, query, bodyAllowed }
    if (text.length <= PARSED_HEAD_MAX_CHARS) {
      if (this.parsedHeads.size >= PARSED_HEADS_MAX) this.parsedHeads.delete(this.parsedHeads.keys().next().value as string)
      this.parsedHeads.set(text, parsed)
    }
    return parsed
  }

  get isClosing(): boolean {
    return this.closing
  }

  /** A new TLS connection: the lane reads it until it meets a request that is not its own. */
  accept(socket: TLSSocket): void {
    const connection = new HotConnection(this, socket)
    this.connections.add(connection)
  }

  /** Stop serving: idle connections close now, busy ones after their answer; new requests go to Node (503). */
  close(): void {
    this.closing = true
    clearInterval(this.checker)
    for (const connection of this.connections) connection.closeWhenIdle()
  }

  /** The Date header's value, formatted once a second (as Node does). */
  date(now: number): string {
    const second = Math.floor(now / 1000)
    if (second !== this.dateSecond) {
      this.dateSecond = second
      this.dateText = new Date(now).toUTCString()
    }
    return this.dateText
  }

  /** Status line and headers, in the order the Fastify path writes them. */
  head(status: number, rate: RateDecision | undefined, bodyBytes: number, now: number, close: boolean): string {
    let text = this.prefixes.get(status)
    if (text === undefined) {
      text = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n${this.securityBlock}`
      this.prefixes.set(status, text)
    }
    if (rate) for (const [name, value] of rate.headers) text += `${name}: ${value}\r\n`
    text += `content-type: application/json; charset=utf-8\r\ncontent-length: ${bodyBytes}\r\nDate: ${this.date(now)}\r\n`
    if (close) return `${text}Connection: close\r\n\r\n`
    const keepAlive = this.opts.server.keepAliveTimeout
    if (keepAlive !== this.keepAliveFor) {
      this.keepAliveFor = keepAlive
      this.keepAliveTail = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAlive / 1000)}\r\n\r\n`
    }
    return text + this.keepAliveTail
  }

  /**
   * The limits Node's HTTP server puts on its connections, applied to the lane's: a request must
   * arrive whole within headersTimeout/requestTimeout (else 408), an idle keep-alive connection
   * closes after keepAliveTimeout, and one silent while its request is answered after `timeout`.
   */
  private checkTimeouts(): void {
    const { headersTimeout, requestTimeout, keepAliveTimeout, timeout } = this.opts.server
    const limits = {
      request: Math.min(headersTimeout || Infinity, requestTimeout || Infinity),
      idle: keepAliveTimeout || timeout || Infinity,
      busy: timeout || Infinity,
    }
    const now = Date.now()
    for (const connection of this.connections) connection.enforce(now, limits)
  }
}

type Phase = 'idle' | 'busy' | 'handed-off' | 'closed'

/** One TLS connection while the lane serves it. */
class HotConnection {
  private pending: Buffer | null = null
  /** Chunks that arrived while a request was in flight. */
  private queued: Buffer[] = []
  private queuedBytes = 0
  /** The bytes of the request being answered (kept until the lane commits to answering it). */
  private current: Buffer | null = null
  private phase: Phase = 'idle'
  private waitingForDrain = false
  private paused = false
  private endAfterAnswer = false
  /** When the buffered, still incomplete request began (0: none), for the header/request timeouts. */
  private partialSince = 0
  /** Pieces (reads) the incomplete request at the front of the buffer has arrived in so far. */
  private pieces = 0
  /** Last time bytes came in or an answer went out. */
  private lastActive = Date.now()

  private readonly onData = (chunk: Buffer) => {
    this.lastActive = Date.now()
    if (this.phase !== 'idle' || this.waitingForDrain) {
      // Joined once when the lane gets back to them, not on every chunk.
      this.queued.push(chunk)
      this.queuedBytes += chunk.length
      if (this.queuedBytes > MAX_BUFFERED && !this.paused) {
        this.paused = true
        this.socket.pause()
      }
      return
    }
    if (this.pending === null) this.pending = chunk
    else {
      this.pending = Buffer.concat([this.pending, chunk])
      if (++this.pieces > MAX_PIECES) return this.handOff()
    }
    this.next()
  }
  private readonly onEnd = () => {
    // Half-closed by the client: like Node's server (httpAllowHalfOpen false), end our side too,
    // after the answer in flight if there is one.
    if (this.phase === 'busy') this.endAfterAnswer = true
    else if (this.phase === 'idle') this.socket.end()
  }
  private readonly onError = () => this.socket.destroy()
  private readonly onClose = () => {
    this.phase = 'closed'
    this.lane.connections.delete(this)
  }
  private readonly onDrain = () => {
    this.waitingForDrain = false
    if (this.phase === 'idle') this.next()
  }

  constructor(
    private readonly lane: HotLane,
    private readonly socket: TLSSocket,
  ) {
    socket.on('data', this.onData)
    socket.on('end', this.onEnd)
    socket.on('error', this.onError)
    socket.on('close', this.onClose)
    socket.on('drain', this.onDrain)
  }

  closeWhenIdle(): void {
    if (this.phase === 'idle' && this.pending === null && this.queued.length === 0) this.socket.destroy()
    else this.endAfterAnswer = true
  }

  enforce(now: number, limits: { request: number; idle: number; busy: number }): void {
    if (this.phase === 'busy') {
      if (now - this.lastActive > limits.busy) this.socket.destroy()
    } else if (this.phase === 'idle') {
      if (this.partialSince !== 0 && now - this.partialSince > limits.request) {
        // What the tracker answers a request that took too long to arrive on the Fastify path too.
        this.phase = 'closed'
        this.socket.end(REQUEST_TIMEOUT_ANSWER)
      } else if (this.partialSince === 0 && now - this.lastActive > limits.idle) {
        this.socket.destroy()
      }
    }
  }

  /** Take the next complete request from the buffer, while there is one and nothing is in flight. */
  private next(): void {
    try {
      this.takeRequests()
    } catch (err) {
      this.fail(err)
    }
  }

  private takeRequests(): void {
    if (this.queued.length > 0) {
      this.pending = Buffer.concat(this.pending === null ? this.queued : [this.pending, ...this.queued])
      this.queued = []
      this.queuedBytes = 0
      if (this.paused) {
        this.paused = false
        this.socket.resume()
      }
    }
    while (this.phase === 'idle' && this.pending !== null && !this.waitingForDrain) {
      const buffer = this.pending
      // The head's text is needed anyway: searched as a string, which costs less than Buffer.indexOf.
      const text = buffer.toString('latin1', 0, Math.min(buffer.length, MAX_HEAD_BYTES + 4))
      const headEnd = text.indexOf('\r\n\r\n')
      if (headEnd === -1) {
        if (buffer.length > MAX_HEAD_BYTES) return this.handOff()
        this.partialSince ||= Date.now()
        return
      }
      // A slice of `text` would keep all of `text` alive in the memo (a body of up to 16 KiB behind a
      // 150-byte head): unless the head is nearly all of it, the head gets a string of its own.
      const parsed = this.lane.parse(headEnd + 4 === text.length ? text.slice(0, headEnd) : buffer.toString('latin1', 0, headEnd))
      if (parsed === undefined || parsed.head.contentLength > this.lane.opts.bodyLimit) return this.handOff()
      const total = headEnd + 4 + parsed.head.contentLength
      if (buffer.length < total) {
        this.partialSince ||= Date.now()
        return
      }
      this.partialSince = 0
      this.pieces = 0
      this.current = buffer.length === total ? buffer : buffer.subarray(0, total)
      this.pending = buffer.length === total ? null : buffer.subarray(total)
      this.serve(parsed, this.current, headEnd + 4)
    }
  }

  /**
   * Answer one request, or hand it over. Until the rate limiter has counted it, any doubt (no
   * certificate, an unknown one, a body or query the schema refuses, a closing server) hands the
   * request to Fastify, which answers it with its own error.
   */
  private serve(request: ParsedRequest, raw: Buffer, bodyStart: number): void {
    const lane = this.lane
    if (lane.isClosing || !request.bodyAllowed) return this.handOff()
    const presented = lane.opts.certificateOf(this.socket)
    if (presented === null) return this.handOff()
    const found = lane.opts.resolveCaller(presented.fingerprint)
    if (!(found instanceof Promise)) {
      if (found === undefined) return this.handOff()
      return this.serveCaller(request, raw, bodyStart, found)
    }
    this.phase = 'busy'
    found.then(
      (caller) => {
        if (this.phase !== 'busy') return
        this.phase = 'idle'
        if (caller === undefined) return this.handOff()
        try {
          this.serveCaller(request, raw, bodyStart, caller)
        } catch (err) {
          this.fail(err)
          return
        }
        this.next()
      },
      () => {
        if (this.phase !== 'busy') return
        this.phase = 'idle'
        this.handOff()
      },
    )
  }

  private serveCaller(request: ParsedRequest, raw: Buffer, bodyStart: number, caller: Caller): void {
    const lane = this.lane
    const { head, route } = request
    let body: unknown = undefined
    if (head.contentLength > 0) {
      // Parsed even for a route without a body schema: Fastify refuses a malformed body on any POST.
      try {
        body = parseJsonBody(raw.toString('utf8', bodyStart))
      } catch {
        return this.handOff()
      }
    }
    if (route.validateBody) {
      const checked = route.validateBody(body)
      if (checked.error !== undefined) return this.handOff()
      body = checked.value
    }
    // From here on the lane answers: the request is counted and handled exactly once, here.
    this.current = null
    lane.stats.served++
    const clientAddress = lane.opts.addressOf(this.socket)
    const started = lane.opts.logRequests ? performance.now() : 0
    const input: HotInput = { caller, query: request.query, body, clientAddress }
    const limiter = lane.opts.rateLimiter
    if (limiter === null) return this.run(route, head, input, undefined, started)
    let decision: ReturnType<RateLimiter['check']>
    try {
      decision = limiter.check(clientAddress, caller.fingerprint, lane.opts.now())
    } catch (err) {
      return this.answerError(head, err as Error, undefined, started)
    }
    if (!(decision instanceof Promise)) {
      if (decision?.error) return this.answerError(head, decision.error, decision, started)
      return this.run(route, head, input, decision, started)
    }
    this.phase = 'busy'
    decision.then(
      (d) => {
        if (d?.error) this.answerError(head, d.error, d, started)
        else this.run(route, head, input, d, started)
      },
      (err: Error) => this.answerError(head, err, undefined, started),
    )
  }

  private run(route: HotRoute, head: RequestHead, input: HotInput, rate: RateDecision | undefined, started: number): void {
    let result: unknown
    try {
      result = route.handle(input)
    } catch (err) {
      return this.answerError(head, err as Error, rate, started)
    }
    if (!(result instanceof Promise)) return this.answerValue(route, head, result, rate, started)
    this.phase = 'busy'
    result.then(
      (value: unknown) => this.answerValue(route, head, value, rate, started),
      (err: Error) => this.answerError(head, err, rate, started),
    )
  }

  private answerValue(route: HotRoute, head: RequestHead, value: unknown, rate: RateDecision | undefined, started: number): void {
    if (value instanceof Error) return this.answerError(head, value, rate, started)
    let text: string
    try {
      text = route.serialize(value)
    } catch (err) {
      return this.answerError(head, err as Error, rate, started)
    }
    this.answer(head, 200, text, rate, started)
  }

  /** A fault of ours, not the client's: never let it reach the event loop as an uncaught exception. */
  private fail(err: unknown): void {
    this.lane.opts.log.error({ err }, 'hot lane: request handling failed; closing the connection')
    this.phase = 'closed'
    this.socket.destroy()
  }

  private answerError(head: RequestHead, error: Error, rate: RateDecision | undefined, started: number): void {
    const reply = errorReply(error)
    if (reply.log === 'error') this.lane.opts.log.error({ err: error, path: head.path }, 'request failed')
    else if (reply.log === 'warn') this.lane.opts.log.warn({ code: reply.body.error, path: head.path }, error.message)
    this.answer(head, reply.status, errorJson(reply.body), rate, started)
  }

  private answer(head: RequestHead, status: number, body: string, rate: RateDecision | undefined, started: number): void {
    if (this.phase === 'closed') return
    try {
      this.write(head, status, body, rate, started)
    } catch (err) {
      this.fail(err)
    }
  }

  private write(head: RequestHead, status: number, body: string, rate: RateDecision | undefined, started: number): void {
    const lane = this.lane
    const close = head.close || this.endAfterAnswer || lane.isClosing
    const now = Date.now()
    this.lastActive = now
    const ok = this.socket.write(lane.head(status, rate, Buffer.byteLength(body), now, close) + body)
    if (lane.opts.logRequests) {
      lane.opts.log.debug(
        { method: head.method, url: head.query ? `${head.path}?${head.query}` : head.path, status, ms: Math.round(performance.now() - started), client: lane.opts.addressOf(this.socket), lane: 'hot' },
        'request completed',
      )
    }
    if (close) {
      this.phase = 'closed'
      this.socket.end()
      return
    }
    if (!ok) this.waitingForDrain = true
    const wasBusy = this.phase === 'busy'
    this.phase = 'idle'
    // An answer that came back later (a promise) picks up requests that queued up meanwhile.
    if (wasBusy) this.next()
  }

  /**
   * Give the connection to Node's HTTP server, unread: the current request's bytes and everything
   * after them go back into the socket, and Node's connection listener takes it from there.
   */
  private handOff(): void {
    const socket = this.socket
    const parts = [this.current, this.pending, ...this.queued].filter((b): b is Buffer => b !== null && b.length > 0)
    const rest = parts.length === 0 ? null : parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)
    this.current = null
    this.pending = null
    this.queued = []
    this.phase = 'handed-off'
    this.lane.connections.delete(this)
    this.lane.stats.handedOff++
    socket.removeListener('data', this.onData)
    socket.removeListener('end', this.onEnd)
    socket.removeListener('error', this.onError)
    socket.removeListener('close', this.onClose)
    socket.removeListener('drain', this.onDrain)
    if (socket.readableEnded) {
      // The client half-closed before we knew the request was not ours: nothing can be read again.
      socket.destroy()
      return
    }
    // Paused first, so the bytes put back wait for Node's parser instead of flowing to nobody.
    socket.pause()
    if (rest !== null && rest.length > 0) socket.unshift(rest)
    const { server, nodeListener } = this.lane.opts
    nodeListener.call(server, socket)
    socket.resume()
  }
}
