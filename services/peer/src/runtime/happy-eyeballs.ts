/**
 * Happy-Eyeballs-style racing (after RFC 8305): try candidates in order, starting the next one when the
 * previous has not succeeded within `staggerMs` or as soon as it failed; the first success wins and every
 * other attempt is aborted (a late success is disposed of). Fails only when every candidate failed.
 */
import { type AttemptFailure } from './errors.js'

export interface Candidate {
  address: string
  port: number
}

export interface RaceOptions<T> {
  /** Delay before the next attempt starts while the previous is still pending (default 250 ms). */
  staggerMs?: number
  signal?: AbortSignal | undefined
  /** Releases a value that arrived after another attempt had already won (e.g. closes a socket). */
  dispose?: (value: T) => void
}

export interface RaceResult<T> {
  winner: Candidate
  value: T
  /** Attempts that failed before the winner (impostors among them). */
  failures: AttemptFailure[]
}

export class AllAttemptsFailedError extends Error {
  readonly failures: AttemptFailure[]
  constructor(failures: AttemptFailure[]) {
    super(`every address failed (${failures.length})`)
    this.name = 'AllAttemptsFailedError'
    this.failures = failures
  }
}

export const DEFAULT_STAGGER_MS = 250

export function raceConnections<T>(
  candidates: readonly Candidate[],
  attempt: (candidate: Candidate, signal: AbortSignal) => Promise<T>,
  options: RaceOptions<T> = {},
): Promise<RaceResult<T>> {
  const staggerMs = options.staggerMs ?? DEFAULT_STAGGER_MS
  return new Promise((resolve, reject) => {
    const failures: AttemptFailure[] = []
    const running = new Map<number, AbortController>()
    let next = 0
    let done = false
    let staggerTimer: NodeJS.Timeout | undefined

    const settle = () => {
      done = true
      clearTimeout(staggerTimer)
      options.signal?.removeEventListener('abort', onAbort)
      for (const controller of running.values()) controller.abort(new Error('another address answered first'))
      running.clear()
    }
    const onAbort = () => {
      if (done) return
      settle()
      reject(options.signal?.reason ?? new Error('aborted'))
    }
    const startNext = () => {
      clearTimeout(staggerTimer)
      if (done || next >= candidates.length) return
      const index = next++
      const candidate = candidates[index] as Candidate
      const controller = new AbortController()
      running.set(index, controller)
      attempt(candidate, controller.signal).then(
        (value) => {
          running.delete(index)
          if (done) {
            options.dispose?.(value)
            return
          }
          settle()
          resolve({ winner: candidate, value, failures })
        },
        (error: unknown) => {
          running.delete(index)
          if (done) return
          failures.push({ ...candidate, error: error instanceof Error ? error : new Error(String(error)) })
          if (next < candidates.length) startNext()
          else if (running.size === 0) {
            settle()
            reject(new AllAttemptsFailedError(failures))
          }
        },
      )
      if (next < candidates.length) staggerTimer = setTimeout(startNext, staggerMs)
    }

    if (candidates.length === 0) {
      reject(new AllAttemptsFailedError([]))
      return
    }
    if (options.signal?.aborted) {
      reject(options.signal.reason ?? new Error('aborted'))
      return
    }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    startNext()
  })
}
