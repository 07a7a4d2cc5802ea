/**
 * /api/peers/*: the names of the first design notes, kept for their clients.
 * Same handlers, same schemas, same behaviour as /api/relay/register, /broadcast/list and /broadcast/heartbeat.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { makeRelayHandlers, type RelayOptions } from '../relay/handlers.js'
import { addRegisterListHeartbeat } from '../relay/shared-routes.js'

const peersRoutes: FastifyPluginAsyncTypebox<RelayOptions> = async (app, opts) => {
  addRegisterListHeartbeat(app, makeRelayHandlers(app, opts), { register: '/register', list: '/list', heartbeat: '/heartbeat' })
}

export default peersRoutes
