/**
 * The runtime's errors. Each carries a stable `code` (what the CLI maps to exit codes and the UI to
 * messages) and a message a person can act on. `toErrorInfo` turns anything thrown into `{ code, message }`.
 */
import { type RuntimeErrorInfo } from '@flashback/protocol'

export class RuntimeError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RuntimeError'
    this.code = code
  }
}

/** The profile folder holds something invalid, or a required setting is missing. */
export class ProfileError extends RuntimeError {
  /** The offending field, as a JSON pointer into the file (`/port`) or a setting name. */
  readonly field: string | undefined
  readonly file: string | undefined
  constructor(message: string, details: { field?: string; file?: string; cause?: unknown } = {}) {
    super('invalid_profile', message, { cause: details.cause })
    this.name = 'ProfileError'
    this.field = details.field
    this.file = details.file
  }
}

/** A TLS server presented a certificate whose fingerprint is not the expected one. */
export class ImpostorError extends RuntimeError {
  readonly expected: string
  readonly actual: string
  readonly address: string
  constructor(address: string, expected: string, actual: string) {
    super(
      'impostor',
      `${address} presented certificate ${actual.slice(0, 16)}…, not the expected ${expected.slice(0, 16)}…; connection refused`,
    )
    this.name = 'ImpostorError'
    this.address = address
    this.expected = expected
    this.actual = actual
  }
}

/** The tracker could not be reached (network, TLS, timeout, or it is not the tracker we pinned). */
export class TrackerUnreachableError extends RuntimeError {
  /** `tracker_untrusted` when the server answered with a certificate other than the pinned one. */
  constructor(message: string, options?: { cause?: unknown; code?: 'tracker_unreachable' | 'tracker_untrusted' }) {
    super(options?.code ?? 'tracker_unreachable', message, options)
    this.name = 'TrackerUnreachableError'
  }
}

/** The tracker answered with an error status; `code` is its `error` field. */
export class TrackerHttpError extends RuntimeError {
  readonly status: number
  /** From `Retry-After` on 429/503, in milliseconds. */
  readonly retryAfterMs: number | undefined
  constructor(status: number, code: string, message: string, retryAfterMs?: number) {
    super(code, message)
    this.name = 'TrackerHttpError'
    this.status = status
    this.retryAfterMs = retryAfterMs
  }
}

/** The tracker does not list the peer as online. */
export class PeerOfflineError extends RuntimeError {
  readonly email: string
  constructor(email: string) {
    super('peer_offline', `${email} is not online`)
    this.name = 'PeerOfflineError'
    this.email = email
  }
}

export interface AttemptFailure {
  address: string
  port: number
  error: Error
}

/** None of a peer's addresses gave a connection with the right certificate. */
export class PeerUnreachableError extends RuntimeError {
  readonly email: string
  readonly attempts: AttemptFailure[]
  constructor(email: string, attempts: AttemptFailure[], options?: { cause?: unknown }) {
    const tried = attempts.map((a) => `${formatHostPort(a.address, a.port)} (${describeError(a.error)})`).join(', ')
    super('peer_unreachable', `${email} is not reachable${tried ? `: tried ${tried}` : ''}`, options)
    this.name = 'PeerUnreachableError'
    this.email = email
    this.attempts = attempts
  }
  /** True when at least one address answered with a wrong certificate. */
  get sawImpostor(): boolean {
    return this.attempts.some((a) => a.error instanceof ImpostorError)
  }
}

/** The certificate the tracker publishes for a friend is not the one we saved when adding them. */
export class FingerprintChangedError extends RuntimeError {
  constructor(email: string, expected: string, published: string) {
    super(
      'fingerprint_changed',
      `the tracker now publishes certificate ${published.slice(0, 16)}… for ${email}, not the ${expected.slice(0, 16)}… saved with this friend; remove and re-add them only if they really changed it`,
    )
    this.name = 'FingerprintChangedError'
  }
}

/** A peer answered with an error status; `code` is its `error` field (e.g. `forbidden`, `not_found`). */
export class PeerHttpError extends RuntimeError {
  readonly status: number
  readonly email: string
  constructor(email: string, status: number, code: string, message: string) {
    super(code, message)
    this.name = 'PeerHttpError'
    this.status = status
    this.email = email
  }
}

/** A peer or tracker answered something that does not follow the protocol. */
export class ProtocolError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('protocol_error', message, options)
    this.name = 'ProtocolError'
  }
}

export function formatHostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`
}

/** A short description of any error: its code when it has one worth showing, then its message. */
export function describeError(err: unknown): string {
  if (err instanceof RuntimeError) return err.message
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code
    if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(describeError).join('; ')
    if (code && !err.message.includes(code)) return `${code}: ${err.message}`
    return err.message || code || err.name
  }
  return String(err)
}

export function toErrorInfo(err: unknown): RuntimeErrorInfo {
  const code =
    err instanceof RuntimeError ? err.code : ((err as NodeJS.ErrnoException | undefined)?.code ?? 'internal_error')
  return { code: String(code).slice(0, 64), message: describeError(err).slice(0, 2048) }
}
