/** Errors of the file registry (same FLASHBACK_ERR_* convention as ../../errors.ts). */
import createError from '@fastify/error'

/** The caller would hold more entries than REGISTRY_MAX_FILES_PER_PEER. */
export const RegistryFull = createError('FLASHBACK_ERR_REGISTRY_FULL', '%s', 409)
/** The matchmaker is off (MATCHMAKER_PORT=0): no token to hand out. */
export const MatchmakerDisabled = createError('FLASHBACK_ERR_MATCHMAKER_DISABLED', 'the matchmaker is not running on this tracker', 404)
