/**
 * The tracker's errors. Each carries its HTTP status; the error handler answers
 * `{ error: <code>, message }` with the code derived from the name (FLASHBACK_ERR_NOT_REGISTERED → not_registered).
 */
import createFastifyError from '@fastify/error'

export const ERROR_PREFIX = 'FLASHBACK_ERR_'

/**
 * A client error (4xx) is an answer, not a fault: no stack trace is captured. Capturing one costs
 * more than the rest of a lookup that answers 404 `not_online`, and nobody ever reads it.
 */
function createError(code: string, message: string, statusCode: number) {
  return createFastifyError(code, message, statusCode, Error, statusCode >= 500)
}

export const ClientCertificateRequired = createError(
  'FLASHBACK_ERR_CLIENT_CERTIFICATE_REQUIRED',
  'this route needs a client certificate: connect with the certificate you registered',
  401,
)
export const NotRegistered = createError('FLASHBACK_ERR_NOT_REGISTERED', '%s', 403)
export const CertificateMismatch = createError(
  'FLASHBACK_ERR_CERTIFICATE_MISMATCH',
  'the certificate in the body is not the one this TLS connection presented',
  403,
)
export const InvalidCertificate = createError('FLASHBACK_ERR_INVALID_CERTIFICATE', '%s', 400)
export const EmailMismatch = createError(
  'FLASHBACK_ERR_EMAIL_MISMATCH',
  'the e-mail address is neither the certificate\'s common name nor one of its SAN e-mail addresses',
  400,
)
export const CertificateExpired = createError('FLASHBACK_ERR_CERTIFICATE_EXPIRED', '%s', 400)
export const EmailTaken = createError(
  'FLASHBACK_ERR_EMAIL_TAKEN',
  'this e-mail address is already registered with another certificate',
  409,
)
export const CertificateTaken = createError(
  'FLASHBACK_ERR_CERTIFICATE_TAKEN',
  'this certificate is already registered under another e-mail address',
  409,
)
export const NotOnline = createError('FLASHBACK_ERR_NOT_ONLINE', '%s', 404)
export const ValidationFailed = createError('FLASHBACK_ERR_VALIDATION_FAILED', '%s', 400)
export const UnsupportedMediaType = createError(
  'FLASHBACK_ERR_UNSUPPORTED_MEDIA_TYPE',
  'request bodies must be application/json',
  415,
)
export const RateLimited = createError('FLASHBACK_ERR_RATE_LIMITED', '%s', 429)
export const Unavailable = createError('FLASHBACK_ERR_UNAVAILABLE', '%s', 503)

/** The wire code of a FLASHBACK_ERR_* error, or undefined for any other error. */
export function wireCode(code: unknown): string | undefined {
  return typeof code === 'string' && code.startsWith(ERROR_PREFIX) ? code.slice(ERROR_PREFIX.length).toLowerCase() : undefined
}
/** The looked-up e-mail (not the caller) is not registered: same code, 404. */
export const UnknownIdentity = createError('FLASHBACK_ERR_NOT_REGISTERED', '%s', 404)
