/**
 * The names of the older tracker design (a FastAPI + Redis tracker), kept for its clients:
 *   GET  /peers?filename=… | ?hash=…   the publishers of a file (exact name, or content hash)
 *   POST /add?filename=…&hash=…        publish one file (the filename is its path)
 *   POST /remove?filename=…[&hash=…]   unpublish it
 *   POST /peer_offline                 unpublish everything and withdraw the broadcast
 *   GET  /all_trackers                 the distinct file names tracked
 * That design identified a peer by its IP address; here the caller is its registered certificate,
 * like everywhere else on this tracker. Same store, same rules as /api/registry/*.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { REGISTRY_MAX_NAME_LENGTH, REGISTRY_MAX_PATH_LENGTH, Sha256Hex } from '@flashback/protocol'
import { ValidationFailed } from '../../errors.js'
import { COMMON_ERRORS, errors } from '../schemas.js'
import { callerOf } from '../relay/handlers.js'
import { makeRegistryHandlers, type RegistryOptions } from '../registry/handlers.js'

/** Most publishers one /peers answer lists. */
export const LEGACY_MAX_PEERS = 500
const NAMES_DEFAULT_LIMIT = 1000
const NAMES_MAX_LIMIT = 5000

const FileName = Type.String({ minLength: 1, maxLength: REGISTRY_MAX_NAME_LENGTH, pattern: '^[^\\x00-\\x1f\\x7f]+$' })
const FilePath = Type.String({ minLength: 1, maxLength: REGISTRY_MAX_PATH_LENGTH, pattern: '^[^\\x00-\\x1f\\x7f]+$' })

const PeersQuery = Type.Object({ filename: Type.Optional(FileName), hash: Type.Optional(Sha256Hex) }, { additionalProperties: false })
const LegacyPeer = Type.Object({ email: Type.String(), fingerprint: Type.String(), online: Type.Boolean() })
const PeersReply = Type.Object({
  filename: Type.Optional(Type.String()),
  hash: Type.Optional(Type.String()),
  peers: Type.Array(LegacyPeer),
})
const AddQuery = Type.Object(
  { filename: FilePath, hash: Sha256Hex, size: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })) },
  { additionalProperties: false },
)
const RemoveQuery = Type.Object({ filename: FilePath, hash: Type.Optional(Sha256Hex) }, { additionalProperties: false })
const StatusReply = Type.Object({ status: Type.String(), files: Type.Optional(Type.Integer({ minimum: 0 })) })
const NamesQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: NAMES_MAX_LIMIT, default: NAMES_DEFAULT_LIMIT })),
    cursor: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
)
const NamesReply = Type.Object({ files: Type.Array(Type.String()) })

const encodeNameCursor = (name: string) => Buffer.from(name, 'utf8').toString('base64url')
function decodeNameCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined
  const name = Buffer.from(cursor, 'base64url').toString('utf8')
  return name.length > 0 && name.length <= REGISTRY_MAX_NAME_LENGTH && !name.includes('\uFFFD') ? name : undefined
}

const legacyRoutes: FastifyPluginAsyncTypebox<RegistryOptions> = async (app, opts) => {
  const h = makeRegistryHandlers(app, opts)
  const registered = { onRequest: [app.requireRegistered] }

  app.get(
    '/peers',
    { ...registered, schema: { querystring: PeersQuery, response: { 200: PeersReply, ...errors(...COMMON_ERRORS, 401, 403) } } },
    async (request) => {
      const { filename, hash } = request.query
      if ((filename === undefined) === (hash === undefined)) throw new ValidationFailed('querystring must have exactly one of filename and hash')
      if (filename !== undefined) return { filename, peers: await h.publishersOf('exact_name', filename, LEGACY_MAX_PEERS) }
      const sha256 = (hash as string).toLowerCase()
      return { hash: sha256, peers: await h.publishersOf('sha256', sha256, LEGACY_MAX_PEERS) }
    },
  )

  app.post(
    '/add',
    { ...registered, schema: { querystring: AddQuery, response: { 200: StatusReply, ...errors(...COMMON_ERRORS, 401, 403, 409) } } },
    async (request) => {
      const { filename, hash, size } = request.query
      const name = filename.split('/').pop() ?? ''
      if (name === '') throw new ValidationFailed('querystring/filename must name a file, not end with "/"')
      await h.publish(callerOf(request), [{ path: filename, name: name.slice(0, REGISTRY_MAX_NAME_LENGTH), sha256: hash, size: size ?? 0 }])
      return { status: 'ok' }
    },
  )

  app.post(
    '/remove',
    { ...registered, schema: { querystring: RemoveQuery, response: { 200: StatusReply, ...errors(...COMMON_ERRORS, 401, 403) } } },
    async (request) => {
      const { filename, hash } = request.query
      const files = await app.store.unpublishByName(callerOf(request).id, filename, hash?.toLowerCase())
      return { status: 'ok', files }
    },
  )

  app.post(
    '/peer_offline',
    { ...registered, schema: { response: { 200: StatusReply, ...errors(...COMMON_ERRORS, 401, 403) } } },
    async (request) => {
      const client = callerOf(request)
      const files = await h.unpublishAll(client)
      await app.store.deleteBroadcast(client.id)
      return { status: 'removed', files }
    },
  )

  app.get(
    '/all_trackers',
    { ...registered, schema: { querystring: NamesQuery, response: { 200: NamesReply, ...errors(...COMMON_ERRORS, 401, 403) } } },
    async (request, reply) => {
      const limit = request.query.limit ?? NAMES_DEFAULT_LIMIT
      let afterName: string | undefined
      if (request.query.cursor !== undefined) {
        afterName = decodeNameCursor(request.query.cursor)
        if (afterName === undefined) throw new ValidationFailed('querystring/cursor is not a cursor this tracker handed out')
      }
      const names = await app.store.registryNames({ limit: limit + 1, afterName })
      const files = names.slice(0, limit)
      if (names.length > limit) {
        void reply.header('link', `</all_trackers?limit=${limit}&cursor=${encodeNameCursor(files[files.length - 1] as string)}>; rel="next"`)
      }
      return { files }
    },
  )
}

export default legacyRoutes
