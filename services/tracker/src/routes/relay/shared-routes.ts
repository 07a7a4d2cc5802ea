/**
 * The three routes that exist under two names: /api/relay/{register,broadcast/list,broadcast/heartbeat}
 * and the first design's /api/peers/{register,list,heartbeat}. One definition serves both, so the
 * compatibility names can never drift from the real ones.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HeartbeatReply, ListQuery, ListReply, RegisterBody, RegisterReply } from '@flashback/protocol'
import { COMMON_ERRORS, errors } from '../schemas.js'
import { addRegisteredRoute } from '../registered-route.js'
import { type makeRelayHandlers, type RelayOptions } from './handlers.js'

type RelayApp = Parameters<FastifyPluginAsyncTypebox<RelayOptions>>[0]

export function addRegisterListHeartbeat(
  app: RelayApp,
  h: ReturnType<typeof makeRelayHandlers>,
  paths: { register: string; list: string; heartbeat: string },
): void {
  const registered = { onRequest: [app.requireRegistered] }

  app.post(
    paths.register,
    { schema: { body: RegisterBody, response: { 200: RegisterReply, ...errors(...COMMON_ERRORS, 401, 403, 409) } } },
    (request) => h.register(request),
  )

  app.get(
    paths.list,
    { ...registered, schema: { querystring: ListQuery, response: { 200: ListReply, ...errors(...COMMON_ERRORS, 401, 403) } } },
    async (request, reply) => {
      const { page, next } = await h.list(request.query, request.url.split('?')[0] ?? '')
      if (next) void reply.header('link', next)
      return page
    },
  )

  addRegisteredRoute(app, {
    method: 'POST',
    url: paths.heartbeat,
    reply: HeartbeatReply,
    errorStatuses: [404],
    hot: true,
    handle: ({ caller }) => h.heartbeat(caller),
  })
}
