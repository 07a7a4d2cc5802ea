/**
 * The runtime's typed event stream. Listeners get every event (`subscribe`) or one type (`on`);
 * a listener that throws is reported to the logger and never breaks the runtime or other listeners.
 */
import { type RuntimeEvent, type RuntimeEventOf, type RuntimeEventType } from '@flashback/protocol'
import { silentLogger, type Logger } from './logger.js'

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
/** An event as emitted: the bus stamps `at`. */
export type RuntimeEventInput = DistributiveOmit<RuntimeEvent, 'at'>
export type RuntimeEventListener = (event: RuntimeEvent) => void

export class RuntimeEvents {
  readonly #listeners = new Set<RuntimeEventListener>()
  readonly #logger: Logger

  constructor(logger: Logger = silentLogger) {
    this.#logger = logger
  }

  /** Every event; returns the unsubscribe function. */
  subscribe(listener: RuntimeEventListener): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /** Events of one type; returns the unsubscribe function. */
  on<T extends RuntimeEventType>(type: T, listener: (event: RuntimeEventOf<T>) => void): () => void {
    return this.subscribe((event) => {
      if (event.type === type) listener(event as RuntimeEventOf<T>)
    })
  }

  /** The next event of `type` that satisfies `predicate` (rejects on timeout or abort). */
  next<T extends RuntimeEventType>(
    type: T,
    options: { predicate?: (event: RuntimeEventOf<T>) => boolean; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<RuntimeEventOf<T>> {
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        unsubscribe()
        clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
      }
      const unsubscribe = this.on(type, (event) => {
        if (options.predicate && !options.predicate(event)) return
        cleanup()
        resolve(event)
      })
      const onAbort = () => {
        cleanup()
        reject(options.signal?.reason ?? new Error('aborted'))
      }
      const timer = options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            cleanup()
            reject(new Error(`no ${type} event within ${options.timeoutMs} ms`))
          }, options.timeoutMs)
      options.signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  emit(input: RuntimeEventInput): RuntimeEvent {
    const event = { ...input, at: new Date().toISOString() } as RuntimeEvent
    for (const listener of [...this.#listeners]) {
      try {
        listener(event)
      } catch (err) {
        this.#logger.warn({ err, event: event.type }, 'a runtime event listener threw')
      }
    }
    return event
  }

  get listenerCount(): number {
    return this.#listeners.size
  }
}
