/**
 * /api/peers/*: the names of the first design notes, kept for their clients.
 * Same handlers, same schemas, same behaviour as /api/relay/register, /broadcast/list and /broadcast/heartbeat.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HeartbeatReply, ListQuery, ListReply, RegisterBody, RegisterReply } from '@flashback/protocol'
import { COMMON_ERRORS, errors } from '../schemas.js'
import { callerOf, makeRelayHandlers, type RelayOptions } from '../relay/handlers.js'

const peersRoutes: FastifyPluginAsyncTypebox<RelayOptions> = async (app, opts) => {
  const h = makeRelayHandlers(app, opts)
  const registered = { onRequest: [app.requireRegistered] }

  app.post(
    '/register',
    { schema: { body: RegisterBody, response: { 200: RegisterReply, ...errors(...COMMON_ERRORS, 401, 403, 409) } } },
    (request) => h.register(request),
  )
  app.get(
    '/list',
    { ...registered, schema: { querystring: ListQuery, response: { 200: ListReply, ...errors(...COMMON_ERRORS, 401, 403) } } },
    async (request, reply) => {
      const { page, next } = await h.list(request.query, request.url.split('?')[0] ?? '')
      if (next) void reply.header('link', next)
      return page
    },
  )
  app.post(
    '/heartbeat',
    { ...registered, schema: { response: { 200: HeartbeatReply, ...errors(...COMMON_ERRORS, 401, 403, 404) } } },
    (request) => h.heartbeat(callerOf(request)),
  )
}

export default peersRoutes
