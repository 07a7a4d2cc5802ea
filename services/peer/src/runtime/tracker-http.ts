/**
 * One mutual-TLS connection pool to the tracker and the request/answer rules every tracker client
 * follows (TrackerClient for presence, RegistryClient for the file registry): the tracker verified
 * by a pinned fingerprint, a CA file or the system CAs; JSON answers read with a size bound and
 * checked against the protocol's schemas; failures mapped to TrackerUnreachableError (no answer, or
 * `tracker_untrusted` when the certificate is not the pinned one) and TrackerHttpError (the tracker
 * said no: its status, `error` code and `Retry-After`).
 */
import { Pool, type Dispatcher } from 'undici'
import { type TSchema, type Static } from 'typebox'
import { ImpostorError, ProfileError, TrackerHttpError, TrackerUnreachableError, describeError } from './errors.js'
import { connectTls, type ClientCertificate, type ServerVerification } from './tls-connect.js'
import { discard, header, parseErrorBody, parseJson, parseRetryAfter, readBounded } from './http-util.js'

/** What every tracker client is given. */
export interface TrackerConnectionOptions {
  /** `https://host:port[/base]`. */
  url: string
  /** This peer's certificate and key, presented on every connection. */
  identity: ClientCertificate
  verify: ServerVerification
  /** Per-request limit for the answer's headers and body (each client has its own default). */
  requestTimeoutMs?: number | undefined
  /** Default 10 s. */
  connectTimeoutMs?: number | undefined
}

/** What differs between the tracker clients. */
export interface TrackerHttpProfile {
  /** The path below the tracker's base that call paths (and followed `Link`s) are relative to. */
  prefix: string
  /** What the client is called in "is closed" errors. */
  name: string
  connections: number
  defaultRequestTimeoutMs: number
  /** Largest JSON answer accepted. */
  maxJsonBytes: number
}

export interface TrackerCall {
  method: 'GET' | 'POST' | 'DELETE'
  /** Relative to the base and the prefix; may carry a query. */
  path: string
  body?: unknown
  signal?: AbortSignal | undefined
  /** This request's limit for the answer's headers and body, instead of `requestTimeoutMs`. */
  timeoutMs?: number | undefined
}

const MAX_ERROR_BYTES = 64 * 1024

export class TrackerHttp {
  readonly url: URL
  readonly #pool: Pool
  readonly #root: string
  readonly #profile: TrackerHttpProfile
  readonly #requestTimeoutMs: number
  #closed = false

  constructor(options: TrackerConnectionOptions, profile: TrackerHttpProfile) {
    this.url = new URL(options.url)
    if (this.url.protocol !== 'https:') throw new ProfileError('the tracker URL must be https://', { field: '/trackerUrl' })
    this.#profile = profile
    this.#requestTimeoutMs = options.requestTimeoutMs ?? profile.defaultRequestTimeoutMs
    this.#root = this.url.pathname.replace(/\/+$/, '') + profile.prefix
    // only the certificate and key go to the TLS layer, whatever else the identity carries
    const client: ClientCertificate = { certPem: options.identity.certPem, keyPem: options.identity.keyPem }
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000
    this.#pool = new Pool(this.url.origin, {
      connections: profile.connections,
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

  async json<T extends TSchema>(schema: T, call: TrackerCall): Promise<Static<T>> {
    return (await this.jsonWithHeaders(schema, call)).value
  }

  async jsonWithHeaders<T extends TSchema>(schema: T, call: TrackerCall): Promise<{ value: Static<T>; headers: Dispatcher.ResponseData['headers'] }> {
    const { body, headers } = await this.call(call)
    const route = call.path.split('?')[0]
    const bytes = await readBounded(body, this.#profile.maxJsonBytes, `the tracker's answer to ${route}`)
    return { value: parseJson(schema, bytes, `the tracker's answer to ${call.method} ${route}`), headers }
  }

  /** One request; resolves only for 2xx, with the body still to read. */
  async call(call: TrackerCall): Promise<Dispatcher.ResponseData> {
    if (this.#closed) throw new TrackerUnreachableError(`the ${this.#profile.name} is closed`)
    const timeoutMs = call.timeoutMs ?? this.#requestTimeoutMs
    const hasBody = call.body !== undefined
    let response: Dispatcher.ResponseData
    try {
      response = await this.#pool.request({
        method: call.method,
        path: `${this.#root}${call.path}`,
        headers: hasBody ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' },
        body: hasBody ? JSON.stringify(call.body) : null,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: call.signal,
      })
    } catch (err) {
      if (call.signal?.aborted) throw err
      // undici wraps what the connect function failed with (the pin check) in its own error.
      const cause = err instanceof ImpostorError ? err : (err as { cause?: unknown }).cause
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
      // the status alone is enough; drop the rest so the connection can be reused
      await discard(response.body)
    }
    const parsed = parseErrorBody(bytes)
    throw new TrackerHttpError(
      response.statusCode,
      parsed?.error ?? `http_${response.statusCode}`,
      parsed?.message ?? `the tracker answered ${response.statusCode}`,
      parseRetryAfter(header(response.headers, 'retry-after')),
    )
  }

  /** A `Link` target as a path relative to the prefix, only when it stays on this tracker below it. */
  relativePath(link: string | undefined): string | undefined {
    if (!link) return undefined
    let target: URL
    try {
      target = new URL(link, this.url.origin + this.#root + '/')
    } catch {
      return undefined
    }
    if (target.origin !== this.url.origin || !target.pathname.startsWith(this.#root + '/')) return undefined
    return target.pathname.slice(this.#root.length) + target.search
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#pool.destroy().catch(() => {})
  }
}
