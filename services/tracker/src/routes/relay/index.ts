/** /api/relay/*: register, announce (ready/heartbeat/offline), look up, list, identity, status. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  HeartbeatReply,
  IdentityQuery,
  IdentityReply,
  ListQuery,
  ListReply,
  LookupQuery,
  PeerBroadcast,
  ReadyBody,
  ReadyReply,
  RegisterBody,
  RegisterReply,
  StatusReply,
} from '@flashback/protocol'
import { UnknownIdentity } from '../../errors.js'
import { COMMON_ERRORS, errors } from '../schemas.js'
import { callerOf, makeRelayHandlers, type RelayOptions } from './handlers.js'

export interface RelayRoutesOptions extends RelayOptions {
  version: string
  startedAt: number
}

const relayRoutes: FastifyPluginAsyncTypebox<RelayRoutesOptions> = async (app, opts) => {
  const h = makeRelayHandlers(app, opts)
  const registered = { onRequest: [app.requireRegistered] }

  app.post(
    '/register',
    { schema: { body: RegisterBody, response: { 200: RegisterReply, ...errors(...COMMON_ERRORS, 401, 403, 409) } } },
    (request) => h.register(request),
  )

  app.post(
    '/broadcast/ready',
    { ...registered, schema: { body: ReadyBody, response: { 200: ReadyReply, ...errors(...COMMON_ERRORS, 401, 403) } } },
    (request) => h.ready(callerOf(request), request.body, request.clientAddress),
  )

  app.get(
    '/broadcast/lookup',
    { ...registered, schema: { querystring: LookupQuery, response: { 200: PeerBroadcast, ...errors(...COMMON_ERRORS, 401, 403, 404) } } },
    (request) => h.lookup(request.query.email),
  )

  app.get(
    '/broadcast/list',
    { ...registered, schema: { querystring: ListQuery, response: { 200: ListReply, ...errors(...COMMON_ERRORS, 401, 403) } } },
    async (request, reply) => {
      const { page, next } = await h.list(request.query, request.url.split('?')[0] ?? '')
      if (next) void reply.header('link', next)
      return page
    },
  )

  app.post(
    '/broadcast/heartbeat',
    { ...registered, schema: { response: { 200: HeartbeatReply, ...errors(...COMMON_ERRORS, 401, 403, 404) } } },
    (request) => h.heartbeat(callerOf(request)),
  )

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
