/** /api/relay/*: register, announce (ready/heartbeat/offline), look up, list, identity, status. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  IdentityQuery,
  IdentityReply,
  LookupQuery,
  PeerBroadcast,
  ReadyBody,
  ReadyReply,
  StatusReply,
} from '@flashback/protocol'
import { UnknownIdentity } from '../../errors.js'
import { COMMON_ERRORS, errors } from '../schemas.js'
import { callerOf, makeRelayHandlers, type RelayOptions } from './handlers.js'
import { addRegisteredRoute } from '../registered-route.js'
import { addRegisterListHeartbeat } from './shared-routes.js'

export interface RelayRoutesOptions extends RelayOptions {
  version: string
  startedAt: number
}

const relayRoutes: FastifyPluginAsyncTypebox<RelayRoutesOptions> = async (app, opts) => {
  const h = makeRelayHandlers(app, opts)
  const registered = { onRequest: [app.requireRegistered] }

  addRegisterListHeartbeat(app, h, { register: '/register', list: '/broadcast/list', heartbeat: '/broadcast/heartbeat' })

  // The two busiest routes of the tracker, served by the hot lane too (see routes/registered-route.ts).
  addRegisteredRoute(app, {
    method: 'POST',
    url: '/broadcast/ready',
    body: ReadyBody,
    reply: ReadyReply,
    hot: true,
    handle: ({ caller, body, clientAddress }) => h.ready(caller, body, clientAddress),
  })

  addRegisteredRoute(app, {
    method: 'GET',
    url: '/broadcast/lookup',
    querystring: LookupQuery,
    reply: PeerBroadcast,
    errorStatuses: [404],
    hot: true,
    // toPeerBroadcast answers with one object per broadcast and second.
    sameReplyObjects: true,
    handle: ({ query }) => h.lookup(query.email),
  })

  app.post(
    '/broadcast/offline',
    { ...registered, schema: { response: { 204: Type.Null(), ...errors(...COMMON_ERRORS, 401, 403) } } },
    async (request, reply) => {
      await h.offline(callerOf(request))
      return reply.status(204).send(null)
    },
  )

  app.get(
    '/identity',
    { ...registered, schema: { querystring: IdentityQuery, response: { 200: IdentityReply, ...errors(...COMMON_ERRORS, 401, 403, 404) } } },
    async (request) => {
      const client = await app.store.getClientByEmail(request.query.email.trim().toLowerCase())
      if (!client) throw new UnknownIdentity(`${request.query.email} is not registered`)
      return { email: client.email, fingerprint: client.fingerprint, registered_at: new Date(client.registeredAt).toISOString() }
    },
  )

  app.get('/status', { schema: { response: { 200: StatusReply, ...errors(429) } } }, async () => {
    const now = opts.now()
    const [online, clients] = await Promise.all([app.store.countOnline(now), app.store.countClients()])
    return {
      status: 'ok' as const,
      version: opts.version,
      uptime_s: Math.floor((now - opts.startedAt) / 1000),
      peers_online: online,
      registered_clients: clients,
    }
  })
}

export default relayRoutes
