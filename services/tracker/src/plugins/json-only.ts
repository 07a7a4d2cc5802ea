/**
 * JSON in, JSON out. Browsers attach client certificates on their own, so a page elsewhere could make
 * a user's browser POST a form here: only application/json bodies are accepted (anything else 415,
 * and a cross-origin JSON request needs a CORS preflight we never grant). POSTs that carry nothing
 * (heartbeat, offline) may send an empty body.
 */
import fp from 'fastify-plugin'
import secureJson from 'secure-json-parse'
import { UnsupportedMediaType } from '../errors.js'

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** The media type of a Content-Type header without parameters, lower-cased. */
export function mediaType(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  return header.split(';')[0]?.trim().toLowerCase()
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length']
  if (typeof length === 'string' && length.trim() !== '' && Number(length) > 0) return true
  return headers['transfer-encoding'] !== undefined
}

/**
 * A request body as the tracker reads JSON, on the Fastify path and in the hot lane alike: what
 * Fastify's default parser accepts (no `__proto__` or `constructor.prototype` keys), with an empty or
 * blank body read as no body (undefined). Throws a SyntaxError for anything else.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined
  return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
}

export default fp(
  async (app) => {
    // text/plain is the one body type a form can send without preflight besides urlencoded/multipart.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      let value: unknown
      try {
        value = parseJsonBody(body as string)
      } catch (err) {
        // A 400 invalid_json, as Fastify's own parser marks it.
        ;(err as Error & { statusCode?: number }).statusCode = 400
        done(err as Error, undefined)
        return
      }
      done(null, value)
    })

    app.addHook('onRequest', (request, _reply, done) => {
      if (!BODY_METHODS.has(request.method)) return done()
      const type = mediaType(request.headers['content-type'])
      if (type === undefined ? hasBody(request.headers) : type !== 'application/json') return done(new UnsupportedMediaType())
      done()
    })
  },
  { name: 'flashback-json-only', fastify: '5.x' },
)
