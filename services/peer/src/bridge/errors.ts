/**
 * Runtime errors → bridge errors. The runtime speaks in its own codes (peer_offline, impostor, …); the UI and both
 * shells speak the bridge's vocabulary (`ErrorCode` + `BridgeErrorCode`, each with an HTTP status in
 * `bridgeErrorHttpStatus`). Messages stay the runtime's: they are written for people. Unknown failures say little
 * (the caller logs the details), like a 5xx that hides internals.
 */
import { BridgeError, BridgeErrorCode, bridgeErrorHttpStatus, ErrorCode } from '@flashback/protocol'
import { PeerHttpError, ProfileError, RuntimeError, TrackerHttpError } from '../runtime/errors.js'

/** Runtime codes with a bridge equivalent. Anything not listed keeps its code only if the bridge knows it. */
const RUNTIME_TO_BRIDGE: Readonly<Record<string, string>> = {
  peer_offline: ErrorCode.notOnline,
  peer_unreachable: BridgeErrorCode.unreachable,
  impostor: ErrorCode.certificateMismatch,
  fingerprint_changed: ErrorCode.certificateMismatch,
  tracker_untrusted: ErrorCode.certificateMismatch,
  tracker_unreachable: ErrorCode.unavailable,
  not_running: ErrorCode.unavailable,
  protocol_error: ErrorCode.unavailable,
  not_registered: ErrorCode.notFound,
  invalid_email: ErrorCode.validation,
  invalid_fingerprint: ErrorCode.validation,
  invalid_path: ErrorCode.validation,
  invalid_profile: ErrorCode.validation,
  already_downloading: BridgeErrorCode.invalidState,
  file_exists: BridgeErrorCode.invalidState,
  cancelled: BridgeErrorCode.invalidState,
  not_a_file: ErrorCode.badRequest,
  email_taken: ErrorCode.emailTaken,
  rejected: ErrorCode.forbidden,
}

/** Codes the bridge itself defines and the shells map to HTTP statuses: passed through unchanged. */
const BRIDGE_CODES = new Set<string>([...Object.values(ErrorCode), ...Object.values(BridgeErrorCode)])

/** The settings field a validation error is about (`/shareRoot` → `shareRoot`). */
function fieldOf(err: RuntimeError): string | undefined {
  if (err instanceof ProfileError && err.field) return err.field.replace(/^\/+/, '').split('/')[0] || undefined
  if (err.code === 'invalid_email') return 'email'
  if (err.code === 'invalid_path') return 'path'
  return undefined
}

/** What `toBridgeErrorFromRuntime` says about a failure it cannot explain. */
export const INTERNAL_ERROR_MESSAGE = 'Something went wrong inside Flashback; the details are in its log.'

/**
 * Any thrown thing → a BridgeError. `internal` is set on the result when the failure was unexpected (a bug or a
 * system error): the caller should log the original.
 */
export function toBridgeErrorFromRuntime(thrown: unknown): BridgeError & { internal?: true } {
  if (thrown instanceof BridgeError) return thrown
  if (thrown instanceof PeerHttpError || thrown instanceof TrackerHttpError) {
    // A status the bridge has a word for keeps its code; anything else (rate limits, 5xx…) means "not available now".
    const known = BRIDGE_CODES.has(thrown.code) && bridgeErrorHttpStatus(thrown.code) !== 500
    const mapped = RUNTIME_TO_BRIDGE[thrown.code] ?? (known ? thrown.code : ErrorCode.unavailable)
    return new BridgeError(mapped, thrown.message)
  }
  if (thrown instanceof RuntimeError) {
    const mapped = RUNTIME_TO_BRIDGE[thrown.code] ?? (BRIDGE_CODES.has(thrown.code) ? thrown.code : undefined)
    if (mapped) return new BridgeError(mapped, thrown.message, mapped === ErrorCode.validation ? fieldOf(thrown) : undefined)
  }
  const err = new BridgeError(ErrorCode.internal, INTERNAL_ERROR_MESSAGE) as BridgeError & { internal?: true }
  err.internal = true
  return err
}
