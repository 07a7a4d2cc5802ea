/**
 * The file registry's handlers, shared by /api/registry/* and the older design's names (/add, /peers, …).
 */
import type { FastifyInstance } from 'fastify'
import {
  REGISTRY_SEARCH_DEFAULT_LIMIT,
  type PublishReply,
  type RegistryFile,
  type RegistryStats,
  type SearchHit,
} from '@flashback/protocol'
import { ValidationFailed } from '../../errors.js'
import type { RegistryCursor, RegistryFileInput, RegistrySearch } from '../../store/types.js'
import type { Caller } from '../../plugins/client-certificate.js'
import { RegistryFull } from './errors.js'

export interface RegistryOptions {
  /** Most entries one identity may hold (REGISTRY_MAX_FILES_PER_PEER). */
  maxFilesPerPeer: number
  /** The clock (ms). */
  now: () => number
}

/** Page position as handed to clients: base64url of `[online 0/1, email, path]`. */
export function encodeSearchCursor(cursor: RegistryCursor): string {
  return Buffer.from(JSON.stringify([cursor.online ? 1 : 0, cursor.email, cursor.path]), 'utf8').toString('base64url')
}

export function decodeSearchCursor(value: string): RegistryCursor | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) return undefined
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'))
    if (!Array.isArray(parsed) || parsed.length !== 3) return undefined
    const [online, email, path] = parsed as unknown[]
    if ((online !== 0 && online !== 1) || typeof email !== 'string' || typeof path !== 'string') return undefined
    if (email.length > 254 || path.length > 4096) return undefined
    return { online: online === 1, email, path }
  } catch {
    return undefined
  }
}

/** The entries of one request with their last word per path, hashes in lower case. */
export function normalizeFiles(files: readonly RegistryFile[]): RegistryFileInput[] {
  const byPath = new Map<string, RegistryFileInput>()
  for (const f of files) {
    byPath.delete(f.path)
    byPath.set(f.path, { path: f.path, name: f.name, sha256: f.sha256.toLowerCase(), size: f.size })
  }
  return [...byPath.values()]
}

export interface SearchInput {
  name?: string | undefined
  sha256?: string | undefined
  limit?: number | undefined
  cursor?: string | undefined
}

export function makeRegistryHandlers(app: FastifyInstance, opts: RegistryOptions) {
  return {
    async publish(client: Caller, files: readonly RegistryFile[]): Promise<PublishReply> {
      const normalized = normalizeFiles(files)
      const result = await app.store.publishFiles({ client, files: normalized, now: opts.now(), maxFiles: opts.maxFilesPerPeer })
      if (result.outcome === 'quota_exceeded') {
        throw new RegistryFull(`an identity may publish at most ${opts.maxFilesPerPeer} files (this request would make ${result.total}); unpublish some first`)
      }
      return { files: result.stored }
    },

    async unpublish(client: Caller, paths: readonly string[]): Promise<number> {
      return app.store.unpublishFiles(client.id, [...new Set(paths)])
    },

    async unpublishAll(client: Caller): Promise<number> {
      return app.store.unpublishAll(client.id)
    },

    /** One page of hits; `next` is the Link header value when more remain. */
    async search(query: SearchInput, path: string): Promise<{ page: SearchHit[]; next?: string }> {
      if ((query.name === undefined) === (query.sha256 === undefined)) {
        throw new ValidationFailed('querystring must have exactly one of name (at least 2 characters) and sha256')
      }
      const limit = query.limit ?? REGISTRY_SEARCH_DEFAULT_LIMIT
      let after: RegistryCursor | undefined
      if (query.cursor !== undefined) {
        after = decodeSearchCursor(query.cursor)
        if (after === undefined) throw new ValidationFailed('querystring/cursor is not a cursor this tracker handed out')
      }
      const search: RegistrySearch =
        query.name !== undefined
          ? { by: 'name', value: query.name.toLowerCase(), now: opts.now(), limit: limit + 1, after }
          : { by: 'sha256', value: (query.sha256 as string).toLowerCase(), now: opts.now(), limit: limit + 1, after }
      const rows = await app.store.searchRegistry(search)
      const page = rows.slice(0, limit)
      if (rows.length <= limit) return { page }
      const last = page[page.length - 1] as SearchHit
      const params = new URLSearchParams()
      if (query.name !== undefined) params.set('name', query.name)
      else params.set('sha256', search.value)
      params.set('limit', String(limit))
      params.set('cursor', encodeSearchCursor(last))
      return { page, next: `<${path}?${params.toString()}>; rel="next"` }
    },

    async stats(): Promise<RegistryStats> {
      return app.store.registryStats()
    },

    /**
     * The distinct publishers of a file (by exact name or hash), online ones first, at most `max`.
     * Hits come ordered by (online, e-mail, path), so one publisher's hits are adjacent.
     */
    async publishersOf(by: 'exact_name' | 'sha256', value: string, max: number): Promise<{ email: string; fingerprint: string; online: boolean }[]> {
      const peers: { email: string; fingerprint: string; online: boolean }[] = []
      let after: RegistryCursor | undefined
      const now = opts.now()
      // Bounded: a publisher holds at most maxFilesPerPeer entries, so this ends; `max` ends it sooner.
      for (let pages = 0; pages < 100 && peers.length < max; pages++) {
        const rows = await app.store.searchRegistry({ by, value, now, limit: 1000, after })
        for (const row of rows) {
          const previous = peers[peers.length - 1]
          if (previous && previous.email === row.email && previous.online === row.online) continue
          if (peers.length >= max) break
          peers.push({ email: row.email, fingerprint: row.fingerprint, online: row.online })
        }
        const last = rows[rows.length - 1]
        if (rows.length < 1000 || !last) break
        after = { online: last.online, email: last.email, path: last.path }
      }
      return peers
    },
  }
}

export type RegistryHandlers = ReturnType<typeof makeRegistryHandlers>
