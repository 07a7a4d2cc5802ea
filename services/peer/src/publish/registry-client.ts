/**
 * The tracker's file registry (/api/registry/*) and matchmaker token (/api/relay/matchmaker/token)
 * over mutual TLS, with this peer's certificate: what the publisher, the matchmaker client and
 * `flashback search` need. The connection, trust, answer checks and error types are TrackerClient's
 * (both go through TrackerHttp).
 */
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
import { header, parseNextLink } from '../runtime/http-util.js'
import { TrackerHttp, type TrackerConnectionOptions } from '../runtime/tracker-http.js'

/** The tracker (`url`), this peer's certificate and key (`identity`, registered there), how to trust the tracker (`verify`); `requestTimeoutMs` default 30 s. */
export type RegistryClientOptions = TrackerConnectionOptions

/** What the publisher needs of the registry (RegistryClient implements it; tests substitute fakes). */
export interface RegistryApi {
  publish(files: readonly RegistryFile[], signal?: AbortSignal): Promise<{ files: number }>
  unpublish(paths: readonly string[], signal?: AbortSignal): Promise<{ files: number }>
  unpublishAll(signal?: AbortSignal): Promise<{ files: number }>
}

export type SearchTerm = { name: string } | { sha256: string }

const MAX_SEARCH_PAGES = 1000

const searchQuery = (term: SearchTerm, limit: number | undefined) => {
  const query = new URLSearchParams('name' in term ? { name: term.name } : { sha256: term.sha256 })
  if (limit !== undefined) query.set('limit', String(limit))
  return query
}

export class RegistryClient implements RegistryApi {
  readonly url: URL
  readonly #http: TrackerHttp

  constructor(options: RegistryClientOptions) {
    // a publish of 1000 entries is a big write: 30 s by default
    this.#http = new TrackerHttp(options, { prefix: '', name: 'registry client', connections: 2, defaultRequestTimeoutMs: 30_000, maxJsonBytes: 16 * 1024 * 1024 })
    this.url = this.#http.url
  }

  /** Add or update entries (at most 1000 per call). */
  publish(files: readonly RegistryFile[], signal?: AbortSignal): Promise<{ files: number }> {
    if (files.length === 0 || files.length > REGISTRY_MAX_FILES_PER_REQUEST) {
      return Promise.reject(new RangeError(`publish takes 1 to ${REGISTRY_MAX_FILES_PER_REQUEST} entries, not ${files.length}`))
    }
    return this.#http.json(PublishReply, { method: 'POST', path: `${REGISTRY_API_PREFIX}/files`, body: { files }, signal })
  }

  /** Remove entries by path (at most 1000 per call). */
  unpublish(paths: readonly string[], signal?: AbortSignal): Promise<{ files: number }> {
    if (paths.length === 0 || paths.length > REGISTRY_MAX_FILES_PER_REQUEST) {
      return Promise.reject(new RangeError(`unpublish takes 1 to ${REGISTRY_MAX_FILES_PER_REQUEST} paths, not ${paths.length}`))
    }
    return this.#http.json(UnpublishReply, { method: 'DELETE', path: `${REGISTRY_API_PREFIX}/files`, body: { paths }, signal })
  }

  /** Remove every entry of this identity. */
  unpublishAll(signal?: AbortSignal): Promise<{ files: number }> {
    return this.#http.json(UnpublishReply, { method: 'DELETE', path: `${REGISTRY_API_PREFIX}/files?all=true`, signal })
  }

  /**
   * One page of hits (online publishers first) and the cursor of the next page when there is one: what a UI that
   * shows results page by page needs. `cursor` comes from an earlier page of the same term.
   */
  async searchPage(term: SearchTerm, options: { limit?: number; cursor?: string; signal?: AbortSignal } = {}): Promise<{ hits: SearchHit[]; nextCursor?: string }> {
    const query = searchQuery(term, options.limit)
    if (options.cursor !== undefined) query.set('cursor', options.cursor)
    const path = `${REGISTRY_API_PREFIX}/search?${query.toString()}`
    const { value, headers } = await this.#http.jsonWithHeaders(SearchReply, { method: 'GET', path, signal: options.signal })
    const next = this.#http.relativePath(parseNextLink(header(headers, 'link')))
    const nextCursor = next?.startsWith(`${REGISTRY_API_PREFIX}/search?`) ? new URLSearchParams(next.slice(next.indexOf('?') + 1)).get('cursor') : null
    return nextCursor ? { hits: value, nextCursor } : { hits: value }
  }

  /** Search page by page (online publishers first), following `Link: rel="next"`. */
  async *searchPages(term: SearchTerm, options: { pageSize?: number; signal?: AbortSignal } = {}): AsyncGenerator<SearchHit[]> {
    let path: string | undefined = `${REGISTRY_API_PREFIX}/search?${searchQuery(term, options.pageSize).toString()}`
    const seen = new Set<string>()
    for (let page = 0; path !== undefined && page < MAX_SEARCH_PAGES; page++) {
      seen.add(path)
      const { value, headers } = await this.#http.jsonWithHeaders(SearchReply, { method: 'GET', path, signal: options.signal })
      yield value
      const next = this.#http.relativePath(parseNextLink(header(headers, 'link')))
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
    return this.#http.json(RegistryStats, { method: 'GET', path: `${REGISTRY_API_PREFIX}/stats`, signal })
  }

  /** A token for the UDP matchmaker (404 matchmaker_disabled when the tracker runs none). */
  matchmakerToken(signal?: AbortSignal): Promise<MatchmakerTokenReply> {
    return this.#http.json(MatchmakerTokenReply, { method: 'POST', path: `${TRACKER_API_PREFIX}/matchmaker/token`, signal })
  }

  close(): Promise<void> {
    return this.#http.close()
  }
}
