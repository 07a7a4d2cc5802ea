/**
 * Requests Node's HTTP parser cannot read (malformed framing, a head over the size limit, one that
 * never finishes arriving) never reach a route. They are still answered in the tracker's one error
 * shape, `{ "error", "message" }`, and the connection is closed after the answer, since nothing
 * more can be read from it reliably. Fastify's clientErrorHandler and the hot lane both answer here.
 */
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import { ErrorCode } from '@flashback/protocol'
import { errorJson } from './plugins/error-handler.js'

/** The raw answer (status line, headers, body) for a request that could not be read. */
export function clientErrorAnswer(status: number, error: string, message: string): string {
  const body = errorJson({ error, message })
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\n` +
    `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  )
}

export const REQUEST_TIMEOUT_ANSWER = clientErrorAnswer(408, ErrorCode.requestTimeout, 'the request did not arrive whole in time')

/** Node's parse and timeout errors → our answer. */
function answerFor(code: string | undefined): string {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return REQUEST_TIMEOUT_ANSWER
    case 'HPE_HEADER_OVERFLOW':
      return clientErrorAnswer(431, ErrorCode.headerTooLarge, 'the request head is larger than the server reads')
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return clientErrorAnswer(413, ErrorCode.payloadTooLarge, 'the chunk extensions are larger than the server reads')
    default:
      return clientErrorAnswer(400, ErrorCode.badRequest, 'the request is not valid HTTP/1.1')
  }
}

/** Fastify's `clientErrorHandler`: answer when the socket can still take it, then close. */
export function makeClientErrorHandler(log: () => FastifyBaseLogger) {
  return (err: Error & { code?: string }, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return
    log().debug({ code: err.code }, 'unreadable request')
    if (socket.writable) socket.end(answerFor(err.code))
    socket.destroySoon()
  }
}
