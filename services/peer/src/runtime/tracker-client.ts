/**
 * The relay tracker's API over mutual TLS, with this peer's certificate as the client identity.
 * The tracker itself is verified by a pinned fingerprint, a CA file, or the system CAs (see tls-connect).
 * Every answer is checked against the protocol's schemas and read with a size bound; errors become
 * TrackerHttpError (the tracker said no: status + its `error` code) or TrackerUnreachableError (no answer).
 */
import { readFile } from 'node:fs/promises'
import {
  HeartbeatReply,
  IdentityReply,
  ListReply,
  PeerBroadcast,
  ReadyReply,
  RegisterReply,
  StatusReply,
  TRACKER_API_PREFIX,
  LIST_DEFAULT_LIMIT,
  type ReadyBody,
} from '@flashback/protocol'
import { normalizeFingerprint } from '@flashback/identity'
import { ProfileError, TrackerHttpError, TrackerUnreachableError } from './errors.js'
import { type ClientCertificate, type ServerVerification } from './tls-connect.js'
import { discard, header, parseNextLink } from './http-util.js'
import { TrackerHttp, type TrackerConnectionOptions } from './tracker-http.js'

export interface TrackerClientOptions extends TrackerConnectionOptions {
  /** This peer's certificate and key, presented on every connection, and the e-mail it registers. */
  identity: ClientCertificate & { email: string }
  /** Per-request limit for the answer's headers and body (default 15 s). */
  requestTimeoutMs?: number | undefined
  /**
   * When a lookup, list or identity query is refused with 403 `not_registered` (the tracker lost its
   * database), register and ask again once. Default true.
   */
  autoRegister?: boolean
}

/** A list never follows more pages than this (a tracker that loops is not followed forever). */
const MAX_LIST_PAGES = 1000

/** How to trust the tracker, from the profile settings. Reads the CA file when there is one. */
export async function trackerVerification(settings: { trackerFingerprint?: string | undefined; trackerCaFile?: string | undefined }): Promise<ServerVerification> {
  if (settings.trackerFingerprint) {
    const fingerprint = normalizeFingerprint(settings.trackerFingerprint)
    if (!fingerprint) throw new ProfileError('trackerFingerprint is not a SHA-256 fingerprint', { field: '/trackerFingerprint' })
    return { kind: 'fingerprint', fingerprint }
  }
  if (settings.trackerCaFile) {
    let caPem: string
    try {
      caPem = await readFile(settings.trackerCaFile, 'utf8')
    } catch (err) {
      throw new ProfileError(`cannot read the tracker CA file ${settings.trackerCaFile}: ${(err as Error).message}`, { field: '/trackerCaFile', cause: err })
    }
    if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ProfileError(`the tracker CA file ${settings.trackerCaFile} holds no PEM certificate`, { field: '/trackerCaFile' })
    }
    return { kind: 'ca', caPem }
  }
  return { kind: 'system' }
}

export class TrackerClient {
  readonly url: URL
  readonly email: string
  readonly #http: TrackerHttp
  readonly #autoRegister: boolean
  readonly #certPem: string

  constructor(options: TrackerClientOptions) {
    // 8 MiB: a full list page of peers with 4 KiB capabilities each fits
    this.#http = new TrackerHttp(options, { prefix: TRACKER_API_PREFIX, name: 'tracker client', connections: 4, defaultRequestTimeoutMs: 15_000, maxJsonBytes: 8 * 1024 * 1024 })
    this.url = this.#http.url
    this.email = options.identity.email
    this.#certPem = options.identity.certPem
    this.#autoRegister = options.autoRegister ?? true
  }

  /** Register this certificate for this e-mail (200 also when already registered with it). */
  register(signal?: AbortSignal): Promise<RegisterReply> {
    return this.#http.json(RegisterReply, {
      method: 'POST',
      path: '/register',
      body: { certificate: this.#certPem, email: this.email },
      signal,
    })
  }

  ready(body: ReadyBody, signal?: AbortSignal): Promise<ReadyReply> {
    return this.#http.json(ReadyReply, { method: 'POST', path: '/broadcast/ready', body, signal })
  }

  heartbeat(signal?: AbortSignal): Promise<HeartbeatReply> {
    return this.#http.json(HeartbeatReply, { method: 'POST', path: '/broadcast/heartbeat', signal })
  }

  /** Withdraw the broadcast at once (204). */
  async offline(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    const { body } = await this.#http.call({ method: 'POST', path: '/broadcast/offline', signal: options.signal, timeoutMs: options.timeoutMs })
    await discard(body)
  }

  /** The peer's broadcast, or undefined when it is not online. */
  async lookup(email: string, signal?: AbortSignal): Promise<PeerBroadcast | undefined> {
    try {
      return await this.#withRegistration(() =>
        this.#http.json(PeerBroadcast, { method: 'GET', path: `/broadcast/lookup?email=${encodeURIComponent(email)}`, signal }),
      )
    } catch (err) {
      if (err instanceof TrackerHttpError && err.status === 404) return undefined
      throw err
    }
  }

  /** Every online peer, following `Link: rel="next"` pages. */
  async list(options: { pageSize?: number; signal?: AbortSignal } = {}): Promise<PeerBroadcast[]> {
    const all: PeerBroadcast[] = []
    for await (const page of this.listPages(options)) all.push(...page)
    return all
  }

  /** The online peers page by page. */
  async *listPages(options: { pageSize?: number; signal?: AbortSignal } = {}): AsyncGenerator<PeerBroadcast[]> {
    let path: string | undefined = `/broadcast/list?limit=${options.pageSize ?? LIST_DEFAULT_LIMIT}`
    const seen = new Set<string>()
    for (let page = 0; path !== undefined && page < MAX_LIST_PAGES; page++) {
      seen.add(path)
      const current: string = path
      const { headers, value } = await this.#withRegistration(() =>
        this.#http.jsonWithHeaders(ListReply, { method: 'GET', path: current, signal: options.signal }),
      )
      yield value
      const next = this.#http.relativePath(parseNextLink(header(headers, 'link')))
      path = next !== undefined && !seen.has(next) ? next : undefined
    }
  }

  /** The certificate fingerprint the tracker holds for `email` (online or not), or undefined. */
  async identity(email: string, signal?: AbortSignal): Promise<IdentityReply | undefined> {
    try {
      return await this.#withRegistration(() =>
        this.#http.json(IdentityReply, { method: 'GET', path: `/identity?email=${encodeURIComponent(email)}`, signal }),
      )
    } catch (err) {
      if (err instanceof TrackerHttpError && err.status === 404) return undefined
      throw err
    }
  }

  /** The tracker's public status (no certificate needed, but sent anyway). */
  status(signal?: AbortSignal): Promise<StatusReply> {
    return this.#http.json(StatusReply, { method: 'GET', path: '/status', signal })
  }

  close(): Promise<void> {
    return this.#http.close()
  }

  async #withRegistration<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (!this.#autoRegister || !(err instanceof TrackerHttpError) || err.status !== 403 || err.code !== 'not_registered') throw err
      await this.register()
      return fn()
    }
  }
}

/** Network trouble, an overloaded or restarting tracker: worth retrying later. */
export function isTransientTrackerError(err: unknown): boolean {
  if (err instanceof TrackerUnreachableError) return true
  if (err instanceof TrackerHttpError) return err.status === 429 || err.status >= 500
  return false
}
