/**
 * Downloads the UI starts and watches: each has an id, runs in the background, reports progress as
 * `download` events (throttled), can be cancelled (the part file stays) and resumed (Range + If-Range
 * from where it stopped). Without a destination, a file goes to the download folder under its own name,
 * made safe and unique ("name (1).ext"), or continues a part file left there for the same source.
 */
import { randomUUID } from 'node:crypto'
import { basename, extname, join } from 'node:path'
import { type DownloadInfo } from '@flashback/protocol'
import { RuntimeError, toErrorInfo } from './errors.js'
import { downloadState, type DownloadResult } from './download-file.js'
import { type RuntimeEvents } from './events.js'
import { normalizeSharePath } from './http-util.js'
import { silentLogger, type Logger } from './logger.js'
import { type PeerClient } from './peer-client.js'

export interface DownloadManagerOptions {
  client: () => Promise<PeerClient>
  events: RuntimeEvents
  /** Folder used when no destination is given. */
  downloadDir: () => string
  /** Least time between two progress events of one download (default 250 ms). */
  progressIntervalMs?: number
  logger?: Logger
}

export interface StartDownloadOptions {
  email: string
  path: string
  /** Absolute file path; default: the download folder + the file's name. */
  dest?: string
  /** Overwrite an existing complete file at `dest`. */
  force?: boolean
}

interface Job {
  info: DownloadInfo
  force: boolean
  abort: AbortController | undefined
  done: Promise<DownloadInfo>
}

/** A file name from a remote path that is safe on every system: no separators, controls or reserved names. */
export function safeFileName(remotePath: string): string {
  let name = basename(remotePath.replace(/\\/g, '/'))
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_')
    .replace(/[. ]+$/, '')
    .replace(/^\.+/, '_')
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(name)) name = `_${name}`
  if (name === '') name = 'download'
  return name.slice(0, 200)
}

export class DownloadManager {
  readonly #client: () => Promise<PeerClient>
  readonly #events: RuntimeEvents
  readonly #downloadDir: () => string
  readonly #progressIntervalMs: number
  readonly #logger: Logger
  readonly #jobs = new Map<string, Job>()

  constructor(options: DownloadManagerOptions) {
    this.#client = options.client
    this.#events = options.events
    this.#downloadDir = options.downloadDir
    this.#progressIntervalMs = options.progressIntervalMs ?? 250
    this.#logger = options.logger ?? silentLogger
  }

  list(): DownloadInfo[] {
    return [...this.#jobs.values()].map((j) => structuredClone(j.info))
  }

  get(id: string): DownloadInfo | undefined {
    const job = this.#jobs.get(id)
    return job && structuredClone(job.info)
  }

  /** Start a download in the background; returns at once with its record (state `running`). */
  async start(options: StartDownloadOptions): Promise<DownloadInfo> {
    const path = normalizeSharePath(options.path)
    if (path === '') throw new RuntimeError('invalid_path', 'the share root is a folder, not a file')
    const source = { email: options.email, path }
    const dest = options.dest ?? (await this.#pickDest(source))
    for (const job of this.#jobs.values()) {
      if (job.info.dest === dest && job.info.state === 'running') {
        throw new RuntimeError('already_downloading', `${dest} is already being downloaded`)
      }
    }
    const now = new Date().toISOString()
    const info: DownloadInfo = { id: randomUUID(), email: options.email, path, dest, state: 'running', received: 0, resumedFrom: 0, startedAt: now, updatedAt: now }
    const job: Job = { info, force: options.force ?? false, abort: undefined, done: Promise.resolve(info) }
    this.#jobs.set(info.id, job)
    this.#run(job)
    return structuredClone(info)
  }

  /** Stop a running download; its part file is kept for resume(). */
  cancel(id: string): DownloadInfo {
    const job = this.#job(id)
    if (job.info.state === 'running') job.abort?.abort(new RuntimeError('cancelled', 'cancelled'))
    return structuredClone(job.info)
  }

  /** Continue a cancelled or failed download from where it stopped. */
  resume(id: string): DownloadInfo {
    const job = this.#job(id)
    if (job.info.state === 'running' || job.info.state === 'completed') return structuredClone(job.info)
    job.info = { ...job.info, state: 'running', updatedAt: new Date().toISOString() }
    delete job.info.error
    this.#run(job)
    return structuredClone(job.info)
  }

  /** Forget a finished download's record (its files stay). */
  remove(id: string): boolean {
    const job = this.#jobs.get(id)
    if (!job || job.info.state === 'running') return false
    return this.#jobs.delete(id)
  }

  /** Resolves when the download is no longer running. */
  async wait(id: string): Promise<DownloadInfo> {
    return structuredClone(await this.#job(id).done)
  }

  /** Cancel everything running (on stop). */
  async stop(): Promise<void> {
    const running = [...this.#jobs.values()].filter((j) => j.info.state === 'running')
    for (const job of running) job.abort?.abort(new RuntimeError('cancelled', 'stopping'))
    await Promise.all(running.map((j) => j.done.catch(() => {})))
  }

  #job(id: string): Job {
    const job = this.#jobs.get(id)
    if (!job) throw new RuntimeError('not_found', `no download with id ${id}`)
    return job
  }

  #run(job: Job): void {
    const abort = new AbortController()
    job.abort = abort
    job.done = (async () => {
      this.#emit(job)
      let result: DownloadResult
      try {
        const client = await this.#client()
        result = await client.download(job.info.email, job.info.path, job.info.dest, {
          force: job.force,
          signal: abort.signal,
          progressIntervalMs: this.#progressIntervalMs,
          onProgress: (p) => {
            job.info = { ...job.info, received: p.received, resumedFrom: p.resumedFrom, updatedAt: new Date().toISOString() }
            if (p.total !== undefined) job.info.total = p.total
            this.#emit(job)
          },
        })
      } catch (err) {
        const cancelled = abort.signal.aborted
        job.info = { ...job.info, state: cancelled ? 'cancelled' : 'failed', updatedAt: new Date().toISOString() }
        if (!cancelled) job.info.error = toErrorInfo(err)
        this.#logger.info({ id: job.info.id, email: job.info.email, path: job.info.path, state: job.info.state, err: job.info.error }, 'download stopped')
        this.#emit(job)
        return job.info
      }
      job.info = { ...job.info, state: 'completed', received: result.bytes, total: result.bytes, resumedFrom: result.resumedFrom, updatedAt: new Date().toISOString() }
      this.#logger.info({ id: job.info.id, email: job.info.email, path: job.info.path, bytes: result.bytes, resumed_from: result.resumedFrom }, 'download complete')
      this.#emit(job)
      return job.info
    })()
  }

  #emit(job: Job): void {
    this.#events.emit({ type: 'download', download: structuredClone(job.info) })
  }

  /** `<dir>/<name>`, or the part file left there for this source, or `<name> (n)<ext>`. */
  async #pickDest(source: { email: string; path: string }): Promise<string> {
    const dir = this.#downloadDir()
    const name = safeFileName(source.path)
    const ext = extname(name)
    const stem = ext ? name.slice(0, -ext.length) : name
    const taken = new Set([...this.#jobs.values()].filter((j) => j.info.state === 'running').map((j) => j.info.dest))
    for (let n = 0; n < 1000; n++) {
      const candidate = join(dir, n === 0 ? name : `${stem} (${n})${ext}`)
      if (taken.has(candidate)) continue
      const state = await downloadState(candidate, source)
      if (state.resumable && !state.complete) return candidate
      if (!state.complete && state.partBytes === 0) return candidate
    }
    throw new RuntimeError('file_exists', `no free file name for ${name} in ${dir}`)
  }
}
