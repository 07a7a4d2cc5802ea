/**
 * /api/registry/*: who has which file. Publishers add and remove entries for their own identity;
 * registered peers search by name or hash; anyone may read the totals.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Compile } from 'typebox/compile'
import {
  PublishBody,
  PublishReply,
  REGISTRY_BODY_LIMIT,
  RegistryStats,
  SearchQuery,
  SearchReply,
  UnpublishBody,
  UnpublishQuery,
  UnpublishReply,
} from '@flashback/protocol'
import { ValidationFailed } from '../../errors.js'
import { describeValidation } from '../../plugins/error-handler.js'
import { COMMON_ERRORS, errors } from '../schemas.js'
import { callerOf } from '../relay/handlers.js'
import { makeRegistryHandlers, type RegistryOptions } from './handlers.js'
import { registrySweepTasks } from './sweep-tasks.js'

export interface RegistryRoutesOptions extends RegistryOptions {
  /** REGISTRY_OFFLINE_RETENTION_S. */
  offlineRetentionS: number
}

/** DELETE /files takes a body unless ?all=true, so its body is checked here rather than by the route schema. */
const unpublishBody = Compile(UnpublishBody)

const registryRoutes: FastifyPluginAsyncTypebox<RegistryRoutesOptions> = async (app, opts) => {
  const h = makeRegistryHandlers(app, opts)
  const registered = { onRequest: [app.requireRegistered] }

  // The app that runs the sweeper (not the proxy-facing twin sharing its store) cleans the registry too.
  if (app.hasDecorator('sweeper')) {
    for (const task of registrySweepTasks(app.store, { retentionS: opts.offlineRetentionS })) app.sweeper.addTask(task)
  }

  app.post(
    '/files',
    {
      ...registered,
      bodyLimit: REGISTRY_BODY_LIMIT,
      schema: { body: PublishBody, response: { 200: PublishReply, ...errors(...COMMON_ERRORS, 401, 403, 409) } },
    },
    (request) => h.publish(callerOf(request), request.body.files),
  )

  app.delete(
    '/files',
    {
      ...registered,
      bodyLimit: REGISTRY_BODY_LIMIT,
      schema: { querystring: UnpublishQuery, response: { 200: UnpublishReply, ...errors(...COMMON_ERRORS, 401, 403) } },
    },
    async (request) => {
      const client = callerOf(request)
      if (request.query.all === true) return { files: await h.unpublishAll(client) }
      const body: unknown = request.body
      if (body === undefined) throw new ValidationFailed('body must be { "paths": [ … ] } (or use ?all=true)')
      if (!unpublishBody.Check(body)) throw new ValidationFailed(describeValidation('body', unpublishBody.Errors(body)))
      return { files: await h.unpublish(client, body.paths) }
    },
  )

  app.get(
    '/search',
    { ...registered, schema: { querystring: SearchQuery, response: { 200: SearchReply, ...errors(...COMMON_ERRORS, 401, 403) } } },
    async (request, reply) => {
      const { page, next } = await h.search(request.query, request.url.split('?')[0] ?? '')
      if (next) void reply.header('link', next)
      return page
    },
  )

  app.get('/stats', { schema: { response: { 200: RegistryStats, ...errors(429) } } }, () => h.stats())
}

export default registryRoutes
