/**
 * The tracker's file registry (/api/registry/*) and matchmaker token (/api/relay/matchmaker/token)
 * over mutual TLS, with this peer's certificate: what the publisher, the matchmaker client and
 * `flashback search` need. Same trust rules as TrackerClient (pinned fingerprint, CA file or system
 * CAs), same error types (TrackerHttpError: the tracker said no; TrackerUnreachableError: no answer),
 * every answer checked against the protocol's schemas and read with a size bound.
 */
import { Pool, type Dispatcher } from 'undici'
import { type TSchema, type Static } from 'typebox'
import {
  MatchmakerTokenReply,
  PublishReply,
  REGISTRY_API_PREFIX,
  REGISTRY_MAX_FILES_PER_REQUEST,
  RegistryStats,
  SearchReply,
  TRACKER_API_PREFIX,
  UnpublishReply,
  type RegistryFile,
  type SearchHit,
} from '@flashback/protocol'
import { ImpostorError, ProfileError, TrackerHttpError, TrackerUnreachableError, describeError } from '../runtime/errors.js'
import { connectTls, type ClientCertificate, type ServerVerification } from '../runtime/tls-connect.js'
import { discard, header, parseErrorBody, parseJson, parseNextLink, parseRetryAfter, readBounded } from '../runtime/http-util.js'

export interface RegistryClientOptions {
  /** The tracker, `https://host:port[/base]`. */
  url: string
  /** This peer's certificate and key (registered at the tracker). */
  identity: ClientCertificate
  verify: ServerVerification
  /** Per-request limit (default 30 s: a publish of 1000 entries is a big write). */
  requestTimeoutMs?: number
  connectTimeoutMs?: number
}

/** What the publisher needs of the registry (RegistryClient implements it; tests substitute fakes). */
export interface RegistryApi {
  publish(files: readonly RegistryFile[], signal?: AbortSignal): Promise<{ files: number }>
  unpublish(paths: readonly string[], signal?: AbortSignal): Promise<{ files: number }>
  unpublishAll(signal?: AbortSignal): Promise<{ files: number }>
}

export type SearchTerm = { name: string } | { sha256: string }

const MAX_JSON_BYTES = 16 * 1024 * 1024
const MAX_ERROR_BYTES = 64 * 1024
const MAX_SEARCH_PAGES = 1000

interface CallOptions {
  method: 'GET' | 'POST' | 'DELETE'
  /** Path from the tracker's root (base path excluded). */
  path: string
  body?: unknown
  signal?: AbortSignal | undefined
}

export class RegistryClient implements RegistryApi {
  readonly url: URL
  readonly #pool: Pool
  readonly #basePath: string
  readonly #timeoutMs: number
  #closed = false

  constructor(options: RegistryClientOptions) {
    this.url = new URL(options.url)
    if (this.url.protocol !== 'https:') throw new ProfileError('the tracker URL must be https://', { field: '/trackerUrl' })
    this.#basePath = this.url.pathname.replace(/\/+$/, '')
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000
    this.#pool = new Pool(this.url.origin, {
      connections: 2,
      keepAliveTimeout: 10_000,
      connect: (opts, callback) => {
        connectTls({
          host: opts.hostname,
          port: Number(opts.port) || 443,
          client: options.identity,
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

  /** Add or update entries (at most 1000 per call). */
  publish(files: readonly RegistryFile[], signal?: AbortSignal): Promise<{ files: number }> {
    if (files.length === 0 || files.length > REGISTRY_MAX_FILES_PER_REQUEST) {
      return Promise.reject(new RangeError(`publish takes 1 to ${REGISTRY_MAX_FILES_PER_REQUEST} entries, not ${files.length}`))
    }
    return this.#json(PublishReply, { method: 'POST', path: `${REGISTRY_API_PREFIX}/files`, body: { files }, signal })
  }

  /** Remove entries by path (at most 1000 per call). */
  unpublish(paths: readonly string[], signal?: AbortSignal): Promise<{ files: number }> {
    if (paths.length === 0 || paths.length > REGISTRY_MAX_FILES_PER_REQUEST) {
      return Promise.reject(new RangeError(`unpublish takes 1 to ${REGISTRY_MAX_FILES_PER_REQUEST} paths, not ${paths.length}`))
    }
    return this.#json(UnpublishReply, { method: 'DELETE', path: `${REGISTRY_API_PREFIX}/files`, body: { paths }, signal })
  }

  /** Remove every entry of this identity. */
  unpublishAll(signal?: AbortSignal): Promise<{ files: number }> {
    return this.#json(UnpublishReply, { method: 'DELETE', path: `${REGISTRY_API_PREFIX}/files?all=true`, signal })
  }

  /** Search page by page (online publishers first), following `Link: rel="next"`. */
  async *searchPages(term: SearchTerm, options: { pageSize?: number; signal?: AbortSignal } = {}): AsyncGenerator<SearchHit[]> {
    const query = new URLSearchParams('name' in term ? { name: term.name } : { sha256: term.sha256 })
    if (options.pageSize !== undefined) query.set('limit', String(options.pageSize))
    let path: string | undefined = `${REGISTRY_API_PREFIX}/search?${query.toString()}`
    const seen = new Set<string>()
    for (let page = 0; path !== undefined && page < MAX_SEARCH_PAGES; page++) {
      seen.add(path)
      const { value, headers } = await this.#jsonWithHeaders(SearchReply, { method: 'GET', path, signal: options.signal })
      yield value
      const next = this.#sameTrackerPath(parseNextLink(header(headers, 'link')))
      path = next !== undefined && !seen.has(next) && next.startsWith(`${REGISTRY_API_PREFIX}/search?`) ? next : undefined
    }
  }

  /** Up to `max` hits (default 500). */
  async search(term: SearchTerm, options: { max?: number; pageSize?: number; signal?: AbortSignal } = {}): Promise<SearchHit[]> {
    const max = options.max ?? 500
    const hits: SearchHit[] = []
    for await (const page of this.searchPages(term, { pageSize: Math.min(options.pageSize ?? max, 5000), ...(options.signal ? { signal: options.signal } : {}) })) {
      hits.push(...page)
      if (hits.length >= max) break
    }
    return hits.slice(0, max)
  }

  stats(signal?: AbortSignal): Promise<RegistryStats> {
    return this.#json(RegistryStats, { method: 'GET', path: `${REGISTRY_API_PREFIX}/stats`, signal })
  }

  /** A token for the UDP matchmaker (404 matchmaker_disabled when the tracker runs none). */
  matchmakerToken(signal?: AbortSignal): Promise<MatchmakerTokenReply> {
    return this.#json(MatchmakerTokenReply, { method: 'POST', path: `${TRACKER_API_PREFIX}/matchmaker/token`, signal })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#pool.destroy().catch(() => {})
  }

  /** A `Link` target as a path from the tracker's root, only when it stays on this tracker. */
  #sameTrackerPath(link: string | undefined): string | undefined {
    if (!link) return undefined
    let target: URL
    try {
      target = new URL(link, this.url.origin + this.#basePath + '/')
    } catch {
      return undefined
    }
    if (target.origin !== this.url.origin || !target.pathname.startsWith(this.#basePath + '/')) return undefined
    return target.pathname.slice(this.#basePath.length) + target.search
  }

  async #json<T extends TSchema>(schema: T, options: CallOptions): Promise<Static<T>> {
    return (await this.#jsonWithHeaders(schema, options)).value
  }

  async #jsonWithHeaders<T extends TSchema>(schema: T, options: CallOptions): Promise<{ value: Static<T>; headers: Dispatcher.ResponseData['headers'] }> {
    const { body, headers } = await this.#call(options)
    const bytes = await readBounded(body, MAX_JSON_BYTES, `the tracker's answer to ${options.path.split('?')[0]}`)
    return { value: parseJson(schema, bytes, `the tracker's answer to ${options.method} ${options.path.split('?')[0]}`), headers }
  }

  async #call(options: CallOptions): Promise<Dispatcher.ResponseData> {
    if (this.#closed) throw new TrackerUnreachableError('the registry client is closed')
    const hasBody = options.body !== undefined
    let response: Dispatcher.ResponseData
    try {
      response = await this.#pool.request({
        method: options.method,
        path: `${this.#basePath}${options.path}`,
        headers: hasBody ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' },
        body: hasBody ? JSON.stringify(options.body) : null,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        signal: options.signal,
      })
    } catch (err) {
      if (options.signal?.aborted) throw err
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
}
