/**
 * Publishing the share to the tracker's file registry (the profile's `publish` setting) while the peer runs: at
 * most one publisher (src/publish), started and stopped one after the other, its progress turned into
 * `PublishingStatus` snapshots and `publishing` events. A publisher that cannot start (an unreadable share, a
 * broken hash cache folder) never stops the peer: the failure is kept and shown as the status's `error`.
 */
import { type PublishingStatus } from '@flashback/protocol'
import { startPublisher, type Publisher, type PublishProgress } from '../publish/publisher.js'
import { type RegistryApi } from '../publish/registry-client.js'
import { describeError } from './errors.js'
import { type RuntimeEvents } from './events.js'
import { type Logger } from './logger.js'

export interface PublishingOptions {
  events: RuntimeEvents
  logger: Logger
  /** The hash cache (in the profile folder). */
  cacheFile: string
  showDotfiles: boolean
  /** Whether publishing is on (the setting, for this run). */
  enabled: () => boolean
  /** Least time between two progress events (default 250 ms). */
  progressEventIntervalMs?: number
}

export class Publishing {
  readonly #options: PublishingOptions
  #publisher: Publisher | undefined
  #progress: PublishProgress | undefined
  /** The last failure and when it was first seen (a repeated one keeps its first time). */
  #error: { message: string; at: string } | undefined
  #startError: string | undefined
  #queue: Promise<void> = Promise.resolve()

  constructor(options: PublishingOptions) {
    this.#options = options
  }

  get active(): boolean {
    return this.#publisher !== undefined
  }

  /** Start publishing `root` (nothing when a publisher already runs). */
  start(root: string, registry: RegistryApi): Promise<void> {
    return this.#serial(async () => {
      if (this.#publisher) return
      this.#startError = undefined
      try {
        this.#publisher = await startPublisher({
          root,
          registry,
          cacheFile: this.#options.cacheFile,
          logger: this.#options.logger,
          showDotfiles: this.#options.showDotfiles,
          onProgress: (progress) => {
            this.#progress = progress
            this.#emit()
          },
          ...(this.#options.progressEventIntervalMs === undefined ? {} : { progressEventIntervalMs: this.#options.progressEventIntervalMs }),
        })
        this.#progress = this.#publisher.progress()
      } catch (err) {
        this.#startError = `Publishing could not start: ${describeError(err)}`
        this.#options.logger.warn({ err: describeError(err) }, 'publishing the share could not start; the peer goes on sharing')
      }
      this.#emit()
    })
  }

  /** Stop publishing (entries stay at the tracker, marked offline once the broadcast ends). */
  stop(): Promise<void> {
    return this.#serial(async () => {
      const publisher = this.#publisher
      this.#publisher = undefined
      this.#progress = undefined
      this.#startError = undefined
      if (publisher) await publisher.stop()
      this.#emit()
    })
  }

  /** Waits for starts and stops under way. */
  settled(): Promise<void> {
    return this.#queue
  }

  status(): PublishingStatus {
    const enabled = this.#options.enabled()
    const p = this.#publisher ? (this.#progress ?? this.#publisher.progress()) : undefined
    const status: PublishingStatus = {
      enabled,
      state: !enabled ? 'off' : !p || p.state === 'stopped' ? 'waiting' : p.state,
      files: p?.files ?? 0,
      hashed: p?.hashed ?? 0,
      bytes: p?.bytes ?? 0,
      bytesHashed: p?.bytesHashed ?? 0,
      unreadable: p?.unreadable ?? 0,
      published: p?.published ?? 0,
      pending: p?.pending ?? 0,
      syncing: p?.syncing ?? true,
    }
    if (p?.current !== undefined) status.current = p.current.slice(0, 4096)
    const message = (p?.error ?? this.#startError)?.slice(0, 2048)
    if (message === undefined) this.#error = undefined
    else if (this.#error?.message !== message) this.#error = { message, at: new Date().toISOString() }
    if (enabled && this.#error) status.error = { ...this.#error }
    return status
  }

  /** Tell listeners the current status (also after the setting changed). */
  emitStatus(): void {
    this.#emit()
  }

  #emit(): void {
    this.#options.events.emit({ type: 'publishing', publishing: this.status() })
  }

  #serial(task: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(task)
    this.#queue = run.catch(() => {})
    return run
  }
}
