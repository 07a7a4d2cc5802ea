/**
 * The relay tracker's API over mutual TLS, with this peer's certificate as the client identity.
 * The tracker itself is verified by a pinned fingerprint, a CA file, or the system CAs (see tls-connect).
 * Every answer is checked against the protocol's schemas and read with a size bound; errors become
 * TrackerHttpError (the tracker said no: status + its `error` code) or TrackerUnreachableError (no answer).
 */
import { readFile } from 'node:fs/promises'
import { Pool, type Dispatcher } from 'undici'
import { type TSchema, type Static } from 'typebox'
import {
  HeartbeatReply,
  IdentityReply,
  ListReply,
  PeerBroadcast,
  ReadyReply,
  RegisterReply,
  StatusReply,
  TRACKER_API_PREFIX,
  LIST_DEFAULT_LIMIT,
  type ReadyBody,
} from '@flashback/protocol'
import { normalizeFingerprint } from '@flashback/identity'
import { ImpostorError, ProfileError, TrackerHttpError, TrackerUnreachableError, describeError } from './errors.js'
import { connectTls, type ClientCertificate, type ServerVerification } from './tls-connect.js'
import { discard, header, parseErrorBody, parseJson, parseNextLink, parseRetryAfter, readBounded } from './http-util.js'

export interface TrackerClientOptions {
  /** `https://host:port[/base]`. */
  url: string
  /** This peer's certificate and key, presented on every connection, and the e-mail it registers. */
  identity: ClientCertificate & { email: string }
  verify: ServerVerification
  /** Per-request limit for the answer's headers and body (default 15 s). */
  requestTimeoutMs?: number
  connectTimeoutMs?: number
  /**
   * When a lookup, list or identity query is refused with 403 `not_registered` (the tracker lost its
   * database), register and ask again once. Default true.
   */
  autoRegister?: boolean
}

/** Largest JSON answer accepted: a full list page of peers with 4 KiB capabilities each fits. */
const MAX_JSON_BYTES = 8 * 1024 * 1024
const MAX_ERROR_BYTES = 64 * 1024
/** A list never follows more pages than this (a tracker that loops is not followed forever). */
const MAX_LIST_PAGES = 1000

/** How to trust the tracker, from the profile settings. Reads the CA file when there is one. */
export async function trackerVerification(settings: { trackerFingerprint?: string | undefined; trackerCaFile?: string | undefined }): Promise<ServerVerification> {
  if (settings.trackerFingerprint) {
    const fingerprint = normalizeFingerprint(settings.trackerFingerprint)
    if (!fingerprint) throw new ProfileError('trackerFingerprint is not a SHA-256 fingerprint', { field: '/trackerFingerprint' })
    return { kind: 'fingerprint', fingerprint }
  }
  if (settings.trackerCaFile) {
    let caPem: string
    try {
      caPem = await readFile(settings.trackerCaFile, 'utf8')
    } catch (err) {
      throw new ProfileError(`cannot read the tracker CA file ${settings.trackerCaFile}: ${(err as Error).message}`, { field: '/trackerCaFile', cause: err })
    }
    if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ProfileError(`the tracker CA file ${settings.trackerCaFile} holds no PEM certificate`, { field: '/trackerCaFile' })
    }
    return { kind: 'ca', caPem }
  }
  return { kind: 'system' }
}

interface CallOptions {
  method: 'GET' | 'POST'
  path: string
  body?: unknown
  signal?: AbortSignal | undefined
  timeoutMs?: number | undefined
}

export class TrackerClient {
  readonly url: URL
  readonly email: string
  readonly #pool: Pool
  readonly #basePath: string
  readonly #timeoutMs: number
  readonly #autoRegister: boolean
  readonly #certPem: string
  #closed = false

  constructor(options: TrackerClientOptions) {
    this.url = new URL(options.url)
    if (this.url.protocol !== 'https:') throw new ProfileError('the tracker URL must be https://', { field: '/trackerUrl' })
    this.email = options.identity.email
    this.#certPem = options.identity.certPem
    this.#basePath = this.url.pathname.replace(/\/+$/, '')
    this.#timeoutMs = options.requestTimeoutMs ?? 15_000
    this.#autoRegister = options.autoRegister ?? true
    const client: ClientCertificate = { certPem: options.identity.certPem, keyPem: options.identity.keyPem }
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000
    this.#pool = new Pool(this.url.origin, {
      connections: 4,
      keepAliveTimeout: 10_000,
      connect: (opts, callback) => {
        connectTls({
          host: opts.hostname,
          port: Number(opts.port) || 443,
          client,
          verify: options.verify,
          servername: opts.servername ?? undefined,
          timeoutMs: connectTimeoutMs,
        }).then(
          (socket) => callback(null, socket),
          (err: Error) => callback(err, null),
        )
      },
    })
  }

  /** Register this certificate for this e-mail (200 also when already registered with it). */
  register(signal?: AbortSignal): Promise<RegisterReply> {
    return this.#json(RegisterReply, {
      method: 'POST',
      path: '/register',
      body: { certificate: this.#certPem, email: this.email },
      signal,
    })
  }

  ready(body: ReadyBody, signal?: AbortSignal): Promise<ReadyReply> {
    return this.#json(ReadyReply, { method: 'POST', path: '/broadcast/ready', body, signal })
  }

  heartbeat(signal?: AbortSignal): Promise<HeartbeatReply> {
    return this.#json(HeartbeatReply, { method: 'POST', path: '/broadcast/heartbeat', signal })
  }

  /** Withdraw the broadcast at once (204). */
  async offline(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    const { body } = await this.#call({ method: 'POST', path: '/broadcast/offline', signal: options.signal, timeoutMs: options.timeoutMs })
    await discard(body)
  }

  /** The peer's broadcast, or undefined when it is not online. */
  async lookup(email: string, signal?: AbortSignal): Promise<PeerBroadcast | undefined> {
    try {
      return await this.#withRegistration(() =>
        this.#json(PeerBroadcast, { method: 'GET', path: `/broadcast/lookup?email=${encodeURIComponent(email)}`, signal }),
      )
    } catch (err) {
      if (err instanceof TrackerHttpError && err.status === 404) return undefined
      throw err
    }
  }

  /** Every online peer, following `Link: rel="next"` pages. */
  async list(options: { pageSize?: number; signal?: AbortSignal } = {}): Promise<PeerBroadcast[]> {
    const all: PeerBroadcast[] = []
    for await (const page of this.listPages(options)) all.push(...page)
    return all
  }

  /** The online peers page by page. */
  async *listPages(options: { pageSize?: number; signal?: AbortSignal } = {}): AsyncGenerator<PeerBroadcast[]> {
    let path: string | undefined = `/broadcast/list?limit=${options.pageSize ?? LIST_DEFAULT_LIMIT}`
    const seen = new Set<string>()
    for (let page = 0; path !== undefined && page < MAX_LIST_PAGES; page++) {
      seen.add(path)
      const current: string = path
      const { headers, value } = await this.#withRegistration(() =>
        this.#jsonWithHeaders(ListReply, { method: 'GET', path: current, signal: options.signal }),
      )
      yield value
      const next = this.#relativeApiPath(parseNextLink(header(headers, 'link')))
      path = next !== undefined && !seen.has(next) ? next : undefined
    }
  }

  /** The certificate fingerprint the tracker holds for `email` (online or not), or undefined. */
  async identity(email: string, signal?: AbortSignal): Promise<IdentityReply | undefined> {
    try {
      return await this.#withRegistration(() =>
        this.#json(IdentityReply, { method: 'GET', path: `/identity?email=${encodeURIComponent(email)}`, signal }),
      )
    } catch (err) {
      if (err instanceof TrackerHttpError && err.status === 404) return undefined
      throw err
    }
  }

  /** The tracker's public status (no certificate needed, but sent anyway). */
  status(signal?: AbortSignal): Promise<StatusReply> {
    return this.#json(StatusReply, { method: 'GET', path: '/status', signal })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#pool.destroy().catch(() => {})
  }

  async #withRegistration<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (!this.#autoRegister || !(err instanceof TrackerHttpError) || err.status !== 403 || err.code !== 'not_registered') throw err
      await this.register()
      return fn()
    }
  }

  /** A `Link` target as a path under the API prefix, only when it stays on this tracker. */
  #relativeApiPath(link: string | undefined): string | undefined {
    if (!link) return undefined
    let target: URL
    try {
      target = new URL(link, this.url.origin + this.#basePath + TRACKER_API_PREFIX + '/')
    } catch {
      return undefined
    }
    if (target.origin !== this.url.origin) return undefined
    const prefix = this.#basePath + TRACKER_API_PREFIX
    if (!target.pathname.startsWith(prefix + '/')) return undefined
    return target.pathname.slice(prefix.length) + target.search
  }

  async #json<T extends TSchema>(schema: T, options: CallOptions): Promise<Static<T>> {
    return (await this.#jsonWithHeaders(schema, options)).value
  }

  async #jsonWithHeaders<T extends TSchema>(schema: T, options: CallOptions): Promise<{ value: Static<T>; headers: Dispatcher.ResponseData['headers'] }> {
    const { body, headers } = await this.#call(options)
    const bytes = await readBounded(body, MAX_JSON_BYTES, `the tracker's answer to ${options.path}`)
    return { value: parseJson(schema, bytes, `the tracker's answer to ${options.method} ${options.path.split('?')[0]}`), headers }
  }

  /** One request; resolves only for 2xx, with the body still to read. */
  async #call(options: CallOptions): Promise<Dispatcher.ResponseData> {
    if (this.#closed) throw new TrackerUnreachableError('the tracker client is closed')
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs
    const path = `${this.#basePath}${TRACKER_API_PREFIX}${options.path}`
    const hasBody = options.body !== undefined
    let response: Dispatcher.ResponseData
    try {
      response = await this.#pool.request({
        method: options.method,
        path,
        headers: hasBody ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' },
        body: hasBody ? JSON.stringify(options.body) : null,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: options.signal,
      })
    } catch (err) {
      if (options.signal?.aborted) throw err
      if (err instanceof ImpostorError) {
        throw new TrackerUnreachableError(`the tracker at ${this.url.host} is not the one pinned: ${err.message}`, {
          cause: err,
          code: 'tracker_untrusted',
        })
      }
      const cause = (err as { cause?: unknown }).cause
      if (cause instanceof ImpostorError) {
        throw new TrackerUnreachableError(`the tracker at ${this.url.host} is not the one pinned: ${cause.message}`, { cause, code: 'tracker_untrusted' })
      }
      throw new TrackerUnreachableError(`the tracker at ${this.url.host} is unreachable: ${describeError(err)}`, { cause: err })
    }
    if (response.statusCode >= 200 && response.statusCode < 300) return response
    let bytes: Buffer = Buffer.alloc(0)
    try {
      bytes = await readBounded(response.body, MAX_ERROR_BYTES, 'the error body')
    } catch {
      // the status alone is enough
    }
    const parsed = parseErrorBody(bytes)
    throw new TrackerHttpError(
      response.statusCode,
      parsed?.error ?? `http_${response.statusCode}`,
      parsed?.message ?? `the tracker answered ${response.statusCode}`,
      parseRetryAfter(header(response.headers, 'retry-after')),
    )
  }
}

/** Network trouble, an overloaded or restarting tracker: worth retrying later. */
export function isTransientTrackerError(err: unknown): boolean {
  if (err instanceof TrackerUnreachableError) return true
  if (err instanceof TrackerHttpError) return err.status === 429 || err.status >= 500
  return false
}
