/** Response schemas shared by the route plugins. */
import { Type } from 'typebox'

/** The error shape (ErrorBody of @flashback/protocol, without its $id so it can be inlined per status). */
export const ErrorReply = Type.Object({ error: Type.String(), message: Type.String() })

/** Error responses for the given statuses. */
export function errors(...statuses: number[]): Record<number, typeof ErrorReply> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorReply]))
}

/** Errors any route may answer with (validation, media type, size, rate limit). */
export const COMMON_ERRORS = [400, 413, 415, 429] as const
