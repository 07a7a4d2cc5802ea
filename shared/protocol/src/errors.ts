import { Type, type Static } from 'typebox'

/** The one error shape every Flashback HTTP API answers with. */
export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'machine-readable code, snake_case' }),
    message: Type.String({ description: 'human-readable explanation' }),
  },
  { $id: 'ErrorBody' },
)
export type ErrorBody = Static<typeof ErrorBody>

/** Error codes shared by the tracker, the peer server and the bridge. */
export const ErrorCode = {
  badRequest: 'bad_request',
  validation: 'validation_failed',
  invalidJson: 'invalid_json',
  unsupportedMediaType: 'unsupported_media_type',
  payloadTooLarge: 'payload_too_large',
  notFound: 'not_found',
  rateLimited: 'rate_limited',
  internal: 'internal_error',
  unavailable: 'unavailable',
  clientCertificateRequired: 'client_certificate_required',
  notRegistered: 'not_registered',
  certificateMismatch: 'certificate_mismatch',
  invalidCertificate: 'invalid_certificate',
  emailMismatch: 'email_mismatch',
  certificateExpired: 'certificate_expired',
  emailTaken: 'email_taken',
  notOnline: 'not_online',
  forbidden: 'forbidden',
  notADirectory: 'not_a_directory',
  notText: 'not_text',
  tooLarge: 'too_large',
  /** The request did not arrive whole in time (HTTP 408). */
  requestTimeout: 'request_timeout',
  /** The request head is larger than the server reads (HTTP 431). */
  headerTooLarge: 'header_too_large',
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]
