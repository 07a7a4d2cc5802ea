/**
 * A route for registered callers, defined once for both ways a request can reach it: as a Fastify
 * route (requireRegistered, schemas for the query or body and for every answer, the handler) and,
 * when `hot`, as a route of the hot lane (../hot-lane/lane.ts), which serves its well-formed requests
 * straight from the connection with the same validator compiler, the same handler and a serializer
 * compiled from the same response schema.
 */
import fastJson from 'fast-json-stringify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static, TSchema } from 'typebox'
import type { HotInput, Validate } from '../hot-lane/lane.js'
import type { Caller } from '../plugins/client-certificate.js'
import { typeboxValidatorCompiler } from '../typebox-validator.js'
import { callerOf } from './relay/handlers.js'
import { COMMON_ERRORS, errors } from './schemas.js'

type RouteApp = Parameters<FastifyPluginAsyncTypebox>[0]

type StaticOr<T extends TSchema | undefined, Otherwise> = T extends TSchema ? Static<T> : Otherwise

export interface RegisteredRoute<Q extends TSchema | undefined, B extends TSchema | undefined, R extends TSchema> {
  method: 'GET' | 'POST'
  /** Relative to the plugin's prefix. */
  url: string
  querystring?: Q
  body?: B
  /** The 200 answer. */
  reply: R
  /** Statuses the handler may answer besides 200 and the common ones (400, 401, 403, 413, 415, 429). */
  errorStatuses?: number[]
  /** Also served by the hot lane. */
  hot?: boolean
  /**
   * The handler answers with the same (frozen) object for as long as its answer does not change:
   * the hot lane then serializes each object once.
   */
  sameReplyObjects?: boolean
  /**
   * The answer, or the error to answer with: thrown, rejected, or (cheaper on a busy route) returned
   * as a value; all three are answered alike, by Fastify's error handler or the lane's.
   */
  handle(input: { caller: Caller; query: StaticOr<Q, undefined>; body: StaticOr<B, unknown>; clientAddress: string }): Promise<Static<R> | Error>
}

export function addRegisteredRoute<Q extends TSchema | undefined = undefined, B extends TSchema | undefined = undefined, R extends TSchema = TSchema>(
  app: RouteApp,
  route: RegisteredRoute<Q, B, R>,
): void {
  const handle = route.handle as (input: HotInput) => Promise<unknown>
  app.route({
    method: route.method,
    url: route.url,
    onRequest: [app.requireRegistered],
    schema: {
      ...(route.querystring ? { querystring: route.querystring } : {}),
      ...(route.body ? { body: route.body } : {}),
      response: { 200: route.reply, ...errors(...COMMON_ERRORS, 401, 403, ...(route.errorStatuses ?? [])) },
    },
    // The reply's type is the schema's (checked on `handle` above); the route generics cannot see it here.
    handler: (request) =>
      handle({ caller: callerOf(request), query: request.query, body: request.body, clientAddress: request.clientAddress }).then(thrownIfError) as never,
  })
  const lane = app.hotLane
  if (!route.hot || lane === null) return
  const path = `${app.prefix}${route.url}`
  const compile = (schema: TSchema, httpPart: 'querystring' | 'body'): Validate =>
    typeboxValidatorCompiler({ schema, httpPart, method: route.method, url: path }) as Validate
  lane.add({
    method: route.method,
    path,
    ...(route.querystring ? { validateQuery: compile(route.querystring, 'querystring') } : {}),
    ...(route.body ? { validateBody: compile(route.body, 'body') } : {}),
    serialize: route.sameReplyObjects ? serializedOnce(fastJson(route.reply as object)) : fastJson(route.reply as object),
    handle,
  })
}

function thrownIfError(value: unknown): unknown {
  if (value instanceof Error) throw value
  return value
}

/** `serialize`, remembered per object (for handlers that answer with the same object again and again). */
function serializedOnce(serialize: (value: unknown) => string): (value: unknown) => string {
  const texts = new WeakMap<object, string>()
  return (value) => {
    if (typeof value !== 'object' || value === null) return serialize(value)
    let text = texts.get(value)
    if (text === undefined) {
      text = serialize(value)
      texts.set(value, text)
    }
    return text
  }
}
