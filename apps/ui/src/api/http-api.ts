/**
 * FlashbackApi over web mode's HTTP routes (same origin; the server keeps the session in an HttpOnly cookie):
 * `POST /api/bridge/<name>` with a JSON body per method, server-sent events at `GET /api/bridge/events`, remote
 * bytes at `/remote/<email>/<path>`. Links to the outside open in a new tab here (the browser is the system browser).
 */
import {
  BridgeError,
  BridgeErrorCode,
  bridgeMethodsFrom,
  bridgeWebPath,
  isBridgeEvent,
  toBridgeError,
  WEB_BRIDGE_EVENTS_PATH,
  WEB_SESSION_PATH,
  webRemoteFileUrl,
  type BridgeChannelName,
  type BridgeEvent,
  type BridgeListener,
  type BridgeResult,
  type FlashbackApi,
} from '@flashback/protocol'

export interface HttpApiOptions {
  /** Prefix for every route ('' for same origin, the default). */
  baseUrl?: string
  fetch?: typeof fetch
  /** EventSource constructor (injectable for tests). */
  EventSource?: typeof EventSource
  /** Opens an outside link (default: a new tab without opener). */
  openWindow?: (url: string) => boolean
}

export interface HttpFlashbackApi extends FlashbackApi {
  /** Closes the event stream. */
  close(): void
}

export function createHttpApi(options: HttpApiOptions = {}): HttpFlashbackApi {
  const base = options.baseUrl ?? ''
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const ES = options.EventSource ?? globalThis.EventSource
  const openWindow =
    options.openWindow ??
    ((url: string) => {
      if (typeof globalThis.open !== 'function') return false
      // With noopener the browser returns null even when the tab opened: there is nothing else to check.
      globalThis.open(url, '_blank', 'noopener,noreferrer')
      return true
    })

  async function call(name: BridgeChannelName, args: unknown): Promise<unknown> {
    let res: Response
    try {
      res = await doFetch(`${base}${bridgeWebPath(name)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(args ?? {}),
        credentials: 'same-origin',
      })
    } catch (e) {
      throw new BridgeError(BridgeErrorCode.transport, `Cannot reach Flashback (${e instanceof Error ? e.message : String(e)}).`)
    }
    const text = await res.text()
    let body: unknown = undefined
    try {
      body = text === '' ? undefined : JSON.parse(text)
    } catch {
      // not JSON: handled below
    }
    if (res.ok) {
      if (body === undefined) throw new BridgeError(BridgeErrorCode.transport, `Flashback answered ${name} with something that is not JSON.`)
      return body
    }
    if (res.status === 401) {
      const err = body ? toBridgeError(body) : null
      throw new BridgeError(BridgeErrorCode.unauthorized, err?.message ?? 'This page needs the address with its access token.')
    }
    if (isErrorBody(body)) throw toBridgeError(body)
    throw new BridgeError(res.status >= 500 ? 'internal_error' : 'bad_request', `Flashback answered ${res.status} ${res.statusText}`.trim())
  }

  const methods = bridgeMethodsFrom(<N extends BridgeChannelName>(name: N) => (args?: unknown) => call(name, args) as Promise<BridgeResult<N>>)

  // One EventSource for every subscriber; opened with the first, closed with the last.
  const listeners = new Set<BridgeListener>()
  let source: EventSource | null = null
  let lostConnection = false

  const dispatch = (event: BridgeEvent) => {
    for (const l of [...listeners]) {
      try {
        l(event)
      } catch {
        // one listener's failure must not starve the others
      }
    }
  }

  /** After a reconnection events may have been missed: fetch the state again and replay it as events. */
  async function resync() {
    try {
      const [status, peers, downloads] = await Promise.all([
        methods.getStatus(),
        methods.listPeers().catch(() => null),
        methods.listDownloads(),
      ])
      dispatch({ type: 'status', status })
      if (peers) dispatch({ type: 'peers', peers })
      for (const download of downloads.downloads) dispatch({ type: 'download', download })
    } catch {
      // the next reconnection tries again
    }
  }

  function open() {
    if (source || !ES) return
    source = new ES(`${base}${WEB_BRIDGE_EVENTS_PATH}`, { withCredentials: true })
    source.onmessage = (m: MessageEvent) => {
      let data: unknown
      try {
        data = JSON.parse(String(m.data))
      } catch {
        return
      }
      if (isBridgeEvent(data)) dispatch(data)
    }
    source.onerror = () => {
      lostConnection = true
    }
    source.onopen = () => {
      if (lostConnection) {
        lostConnection = false
        void resync()
      }
    }
  }

  function close() {
    source?.close()
    source = null
  }

  return {
    ...methods,
    async openExternal(args) {
      if (!args || !/^https?:\/\//i.test(args.url)) throw new BridgeError('validation_failed', 'Only http and https links can be opened.', 'url')
      return { opened: openWindow(args.url) }
    },
    subscribe(listener) {
      listeners.add(listener)
      open()
      return () => {
        listeners.delete(listener)
        if (listeners.size === 0) close()
      }
    },
    remoteFileUrl: (email, path) => `${base}${webRemoteFileUrl(email, path)}`,
    close,
  }
}

const isErrorBody = (body: unknown): body is { error: string; message: string } =>
  typeof body === 'object' &&
  body !== null &&
  typeof (body as { error?: unknown }).error === 'string' &&
  typeof (body as { message?: unknown }).message === 'string'

/**
 * Web mode's address carries a one-time token (`?token=…`, or `#token=…`). Trade it for the session cookie, then
 * drop it from the address bar so it is not bookmarked or shared. Returns false when a token was refused.
 */
export async function exchangeSessionToken(options: { fetch?: typeof fetch; location?: Location; history?: History } = {}): Promise<boolean> {
  const loc = options.location ?? globalThis.location
  const hist = options.history ?? globalThis.history
  if (!loc) return true
  const query = new URLSearchParams(loc.search)
  const fromHash = /^#token=([A-Za-z0-9_-]+)$/.exec(loc.hash)?.[1]
  const token = query.get('token') ?? fromHash ?? null
  if (!token) return true
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  let ok: boolean
  try {
    const res = await doFetch(WEB_SESSION_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
      credentials: 'same-origin',
    })
    ok = res.ok
  } catch {
    ok = false
  }
  query.delete('token')
  const search = query.toString()
  const hash = fromHash ? '' : loc.hash
  hist?.replaceState(null, '', `${loc.pathname}${search ? `?${search}` : ''}${hash}`)
  return ok
}
