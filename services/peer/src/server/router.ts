/**
 * Request routing on plain `node:https`: a handful of fixed prefixes, matched on the raw request
 * target before anything is decoded. A framework would add per-request work on the download hot
 * path for nothing: there are no bodies to parse and four routes.
 */
import { type IncomingMessage, type ServerResponse } from 'node:http'
import { stat } from 'node:fs/promises'
import { type TLSSocket } from 'node:tls'
import Value from 'typebox/value'
import { ErrorCode, FILES_DEFAULT_LIMIT, FilesQuery, PEER_ROUTES, PeerErrorCode, type FileListing, type PeerHealthReply } from '@flashback/protocol'
import { type AccessControl } from './access.js'
import { serveContent } from './content.js'
import { serveDownload, type FileRouteContext } from './download.js'
import { decodeCursor, buildIndex, listPage, type IndexCache, type ListingOptions } from './listing.js'
import { decodeSharePath, encodeSharePath, resolveInsideRoot, type NameRules } from './path-guard.js'
import { HttpError, sendError, sendJson } from './reply.js'

export interface RouterContext extends FileRouteContext {
  rules: NameRules
  listing: ListingOptions
  indexCache: IndexCache
  access: AccessControl
  health: PeerHealthReply
}

const FILES_PREFIX = `${PEER_ROUTES.files}/`
const CONTENT_PREFIX = `${PEER_ROUTES.content}/`
const DOWNLOAD_PREFIX = `${PEER_ROUTES.download}/`

function segmentsOf(raw: string, ctx: RouterContext): string[] {
  const decoded = decodeSharePath(raw, ctx.rules)
  if (!decoded.ok) {
    if (decoded.status === 404) throw new HttpError(404, ErrorCode.notFound, 'no such file in this share')
    throw new HttpError(400, ErrorCode.badRequest, `invalid path: ${decoded.reason}`)
  }
  return decoded.segments
}

/** `?limit=&cursor=` checked against the FilesQuery schema. */
function filesQuery(query: string): { limit: number; cursor?: string } {
  const params = new URLSearchParams(query)
  const raw: Record<string, unknown> = {}
  for (const [key, value] of params) {
    if (key in raw) throw new HttpError(400, ErrorCode.validation, `query parameter ${key} given twice`)
    raw[key] = key === 'limit' && /^\d{1,9}$/.test(value) ? Number(value) : value
  }
  if (!Value.Check(FilesQuery, raw)) {
    const first = Value.Errors(FilesQuery, raw)[0]
    const where = first?.instancePath ? first.instancePath.slice(1) : 'query'
    throw new HttpError(400, ErrorCode.validation, `${where} ${first?.message ?? 'is invalid'}`)
  }
  const q = raw as FilesQuery
  return { limit: q.limit ?? FILES_DEFAULT_LIMIT, ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) }
}

async function serveListing(res: ServerResponse, raw: string, query: string, ctx: RouterContext): Promise<void> {
  const segments = segmentsOf(raw, ctx)
  const { limit, cursor } = filesQuery(query)
  const after = cursor === undefined ? undefined : decodeCursor(cursor)
  if (cursor !== undefined && after === undefined) throw new HttpError(400, ErrorCode.validation, 'cursor is not one this server gave out')
  const real = await resolveInsideRoot(ctx.root, segments, ctx.showDotfiles, ctx.fs)
  if (real === undefined) throw new HttpError(404, ErrorCode.notFound, 'no such folder in this share')
  let dirStat
  try {
    dirStat = await stat(real)
  } catch {
    throw new HttpError(404, ErrorCode.notFound, 'no such folder in this share')
  }
  if (dirStat.isFile()) throw new HttpError(400, ErrorCode.notADirectory, 'this path is a file, not a folder: use /download or /content')
  if (!dirStat.isDirectory()) throw new HttpError(404, ErrorCode.notFound, 'no such folder in this share')
  const index = await ctx.indexCache.get(real, dirStat, () => buildIndex(real, ctx.listing))
  const logical = segments.join('/')
  const page = await listPage(real, logical, index, limit, after, ctx.listing)
  const body: FileListing = { path: logical, entries: page.entries }
  const headers: Record<string, string> = { 'Cache-Control': 'no-cache' }
  if (page.nextCursor !== undefined) {
    body.next_cursor = page.nextCursor
    const base = segments.length ? `${FILES_PREFIX}${encodeSharePath(segments)}` : PEER_ROUTES.files
    headers.Link = `<${base}?limit=${limit}&cursor=${page.nextCursor}>; rel="next"`
  }
  sendJson(res, 200, body, headers)
}

export function createRequestHandler(ctx: RouterContext): (req: IncomingMessage, res: ServerResponse) => void {
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? ''
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new HttpError(405, PeerErrorCode.methodNotAllowed, 'only GET and HEAD exist here', { Allow: 'GET, HEAD' })
    }
    // Origin-form only: no absolute URLs, no '*', no fragments.
    if (!url.startsWith('/') || url.includes('#')) throw new HttpError(400, ErrorCode.badRequest, 'invalid request target')
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const query = q < 0 ? '' : url.slice(q + 1)

    if (path === PEER_ROUTES.health) {
      sendJson(res, 200, ctx.health)
      return
    }
    // 'open' admits everyone: no need to wait a turn for a check that cannot refuse.
    if (ctx.access.policy !== 'open') await ctx.access.check(req.socket as TLSSocket)
    if (path.startsWith(DOWNLOAD_PREFIX)) return serveDownload(req, res, segmentsOf(path.slice(DOWNLOAD_PREFIX.length), ctx), ctx)
    if (path.startsWith(CONTENT_PREFIX)) return serveContent(req, res, segmentsOf(path.slice(CONTENT_PREFIX.length), ctx), ctx)
    if (path === PEER_ROUTES.files) return serveListing(res, '', query, ctx)
    if (path.startsWith(FILES_PREFIX)) return serveListing(res, path.slice(FILES_PREFIX.length), query, ctx)
    throw new HttpError(404, ErrorCode.notFound, 'no such route')
  }

  return (req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.setHeader('Referrer-Policy', 'no-referrer')
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy(err as Error)
        return
      }
      if (err instanceof HttpError) {
        sendError(res, err)
        return
      }
      ctx.logger.error({ err: { message: (err as Error)?.message, code: (err as NodeJS.ErrnoException)?.code }, method: req.method }, 'request failed')
      sendError(res, new HttpError(500, ErrorCode.internal, 'internal error'))
    })
  }
}
