/**
 * POST /api/relay/matchmaker/token: a registered peer's pass for the UDP matchmaker
 * (`{ "token", "expires_in", "port" }`). The token is an HMAC over the identity and the expiry
 * (../../matchmaker/token.ts): the matchmaker checks it without any state.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { MatchmakerTokenReply } from '@flashback/protocol'
import { issueToken, matchmakerKey } from '../../matchmaker/token.js'
import { COMMON_ERRORS, errors } from '../schemas.js'
import { callerOf } from '../relay/handlers.js'
import { MatchmakerDisabled } from '../registry/errors.js'

export interface MatchmakerRoutesOptions {
  /** The matchmaker's UDP port as clients should use it; 0 = the matchmaker is off. */
  port: number
  /** MATCHMAKER_TOKEN_TTL_S. */
  tokenTtlS: number
  now: () => number
}

const matchmakerRoutes: FastifyPluginAsyncTypebox<MatchmakerRoutesOptions> = async (app, opts) => {
  let key: Promise<Buffer> | undefined
  const getKey = () => {
    key ??= matchmakerKey(app.store, opts.now()).catch((err: unknown) => {
      // Not cached when it failed (the database was away): the next request tries again.
      key = undefined
      throw err
    })
    return key
  }

  app.post(
    '/token',
    { onRequest: [app.requireRegistered], schema: { response: { 200: MatchmakerTokenReply, ...errors(...COMMON_ERRORS, 401, 403, 404) } } },
    async (request) => {
      if (opts.port === 0) throw new MatchmakerDisabled()
      const client = callerOf(request)
      const expiresAtS = Math.floor(opts.now() / 1000) + opts.tokenTtlS
      const token = issueToken(await getKey(), { email: client.email, fingerprint: client.fingerprint, expiresAtS })
      return { token, expires_in: opts.tokenTtlS, port: opts.port }
    },
  )
}

export default matchmakerRoutes
