/** GET /health: 200 while the database answers, 503 otherwise (load balancers and HEALTHCHECK use it). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HealthReply } from '@flashback/protocol'
import { Unavailable } from '../../errors.js'
import { errors } from '../schemas.js'

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', { schema: { response: { 200: HealthReply, ...errors(503) } } }, async (request) => {
    try {
      await app.store.ping()
    } catch (err) {
      request.log.error({ err }, 'health check: the database does not answer')
      throw new Unavailable('the database does not answer')
    }
    return { status: 'ok' as const }
  })
}

export default healthRoutes
