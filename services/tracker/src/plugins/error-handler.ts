/**
 * One error shape everywhere: `{ "error": "<code>", "message": "<text>" }`.
 * Known client errors keep their message; anything 5xx is logged with the request and answered
 * with a generic message, so internals never leak.
 */
import fp from 'fastify-plugin'
import type { FastifyError } from 'fastify'
import { ErrorCode } from '@flashback/protocol'
import { wireCode } from '../errors.js'

interface ValidationIssue {
  instancePath?: string
  message?: string
  params?: Record<string, unknown>
}

/** "body/port must be >= 1" — the part of the request and the field, then what is wrong. */
export function describeValidation(context: string | undefined, issues: readonly ValidationIssue[]): string {
  const described = issues.slice(0, 3).map((issue) => {
    const where = `${context ?? 'request'}${issue.instancePath ?? ''}`
    const extra = issue.params?.additionalProperties
    const suffix = Array.isArray(extra) ? ` (${extra.join(', ')})` : ''
    return `${where} ${issue.message ?? 'is invalid'}${suffix}`
  })
  // TypeBox reports a forbidden extra property twice (as "schema is false" on the property too).
  return [...new Set(described)].join('; ')
}

const FASTIFY_CODES: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: ErrorCode.payloadTooLarge, message: 'the request body is larger than allowed' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: ErrorCode.unsupportedMediaType, message: 'request bodies must be application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: ErrorCode.badRequest },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: ErrorCode.invalidJson },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: ErrorCode.invalidJson },
}

/** The answer to an error: its status, its `{ error, message }` body, and how loudly to log it. */
export interface ErrorReply {
  status: number
  body: { error: string; message: string }
  /** 'error': an internal fault (logged with the error, answered generically); 'warn': a known 5xx. */
  log?: 'warn' | 'error'
}

/** The error shape as JSON text: what JSON.stringify makes of it, in a third of its time. */
export function errorJson(body: ErrorReply['body']): string {
  return `{"error":${JSON.stringify(body.error)},"message":${JSON.stringify(body.message)}}`
}

/**
 * What the tracker answers for `error`. The Fastify error handler and the hot lane
 * (../hot-lane/) both answer through this, so an error looks the same whichever path served it.
 */
export function errorReply(error: Error & Partial<Pick<FastifyError, 'code' | 'statusCode' | 'validationContext'>> & { validation?: ValidationIssue[] }): ErrorReply {
  if (error.validation) {
    return { status: 400, body: { error: ErrorCode.validation, message: describeValidation(error.validationContext, error.validation) } }
  }
  const known = wireCode(error.code)
  if (known) {
    const status = error.statusCode ?? 400
    return { status, body: { error: known, message: error.message }, ...(status >= 500 ? { log: 'warn' as const } : {}) }
  }
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined
  if (mapped) return { status: mapped.status, body: { error: mapped.code, message: mapped.message ?? error.message } }
  // JSON syntax errors from the body parser arrive as 400s without a Fastify code.
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return { status: 400, body: { error: error instanceof SyntaxError ? ErrorCode.invalidJson : ErrorCode.badRequest, message: error.message } }
  }
  const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500
  if (status >= 500) return { status, body: { error: ErrorCode.internal, message: 'internal error' }, log: 'error' }
  return { status, body: { error: ErrorCode.badRequest, message: error.message } }
}

export default fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError & { validation?: ValidationIssue[] }, request, reply) => {
      const answer = errorReply(error)
      if (answer.log === 'error') request.log.error({ err: error }, 'request failed')
      else if (answer.log === 'warn') request.log.warn({ code: answer.body.error }, error.message)
      void reply.status(answer.status).send(answer.body)
    })

    app.setNotFoundHandler((request, reply) => {
      void reply.status(404).send({ error: ErrorCode.notFound, message: `no route ${request.method} ${request.url.split('?')[0]}` })
    })
  },
  { name: 'flashback-error-handler', fastify: '5.x' },
)
