/**
 * Every security decision of the shell, in one place (Electron's security checklist, Signal Desktop's discipline):
 * the renderer's webPreferences, the Content-Security-Policies, the custom schemes' privileges, and the lockdown of
 * sessions (permissions, network, downloads) and web contents (navigation, new windows, webviews).
 *
 * Why a custom `app://flashback/` scheme instead of `file://` for the UI: `file:` pages share one opaque origin with
 * every file on the disk (a compromised renderer could read any file it can name), cannot receive response headers
 * (so no real CSP header, only a <meta>), and make "is this IPC message from our page?" a path comparison. A
 * standard, secure custom scheme served by our own handler gives the UI its own origin, lets every response carry
 * the CSP and `nosniff` headers, and serves only the files of the UI's folder (realpath containment).
 */
import type {
  App,
  HandlerDetails,
  Protocol,
  Session,
  WebContents,
  WebPreferences,
  WindowOpenHandlerResponse,
} from 'electron'
import { ELECTRON_REMOTE_SCHEME } from '@flashback/protocol'

/** The UI's own scheme and host: pages are `app://flashback/index.html`. */
export const APP_SCHEME = 'app'
export const APP_HOST = 'flashback'
/** How Chromium serializes the UI's origin (Node's URL says 'null' for non-special schemes, so compare parts). */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`

/**
 * The UI's policy: its own scripts and styles only, peers' bytes only through `flashback://`, nothing else.
 * - `style-src 'unsafe-inline'` is NOT allowed: React sets `style` through the CSSOM, which CSP does not restrict.
 * - `img-src data: blob:` for small generated images (icons, thumbnails); `media-src blob:` for the same reason.
 * - `connect-src` allows `flashback:` so the UI may `fetch()` a peer's file (the protocol is fetch-enabled).
 * - No `unsafe-eval`: the bridge's schema checks interpret schemas (TypeBox Value.Check), they do not compile them.
 */
export const APP_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "font-src 'self' data:",
  `img-src 'self' data: blob: ${ELECTRON_REMOTE_SCHEME}:`,
  `media-src 'self' blob: ${ELECTRON_REMOTE_SCHEME}:`,
  `connect-src 'self' ${ELECTRON_REMOTE_SCHEME}:`,
  "manifest-src 'self'",
  "worker-src 'none'",
  "frame-src 'none'",
  "child-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/**
 * A peer's file is hostile content: if it is ever rendered as a document (it should only be an <img>, <video> or
 * <audio> source), it runs in a unique origin with no scripts, no plugins and nothing to load.
 */
export const REMOTE_FILE_CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'; img-src data:; media-src data:; style-src 'unsafe-inline'"

/** Headers on every response of the UI's own scheme. */
export const APP_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': APP_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-cache',
}

/**
 * The two schemes the shell registers before the app is ready (Electron's rule): both `standard` (real URLs with a
 * host, relative URLs resolve) and `secure` (treated like https: no mixed-content downgrade). `flashback:` streams so
 * `<video>` gets partial content as it arrives and can seek; neither bypasses CSP.
 */
export const PRIVILEGED_SCHEMES = [
  {
    scheme: APP_SCHEME,
    privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, stream: false, bypassCSP: false, allowServiceWorkers: false, codeCache: true },
  },
  {
    scheme: ELECTRON_REMOTE_SCHEME,
    privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true, bypassCSP: false, allowServiceWorkers: false },
  },
] as const

export function registerPrivilegedSchemes(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged(PRIVILEGED_SCHEMES.map((s) => ({ scheme: s.scheme, privileges: { ...s.privileges } })))
}

/**
 * The renderer's webPreferences. Every field that matters is spelled out even where it is Electron's default, so a
 * future default change or a careless edit shows up in review and in the tests.
 */
export function secureWebPreferences(options: { preload: string; devTools: boolean }): WebPreferences {
  return {
    preload: options.preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools: options.devTools,
  }
}

/** True for the UI's own pages (`app://flashback/...`), false for anything else, including unparsable text. */
export function isAppUrl(url: unknown): boolean {
  if (typeof url !== 'string') return false
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === ''
}

/** http(s) URLs are the only ones ever handed to the system browser. */
export function isExternalWebUrl(url: unknown): url is string {
  if (typeof url !== 'string' || url.length > 4096) return false
  try {
    const parsed = new URL(url)
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== ''
  } catch {
    return false
  }
}

export interface SecurityLog {
  warn(obj: object, msg?: string): void
}

/** Opens http(s) links in the system browser; anything else is refused (and logged). Returns whether it opened. */
export async function openExternalSafely(
  openExternal: (url: string) => Promise<void>,
  url: unknown,
  log?: SecurityLog,
): Promise<boolean> {
  if (!isExternalWebUrl(url)) {
    log?.warn({ url: String(url).slice(0, 200) }, 'refused to open a non-http(s) URL')
    return false
  }
  await openExternal(url)
  return true
}

/** What `setWindowOpenHandler` answers: never a new Electron window; http(s) goes to the system browser. */
export function windowOpenDecision(
  details: Pick<HandlerDetails, 'url'>,
  openExternal: (url: string) => Promise<void>,
  log?: SecurityLog,
): WindowOpenHandlerResponse {
  openExternalSafely(openExternal, details.url, log).catch((err: unknown) =>
    log?.warn({ err: String(err) }, 'the system browser could not open a link'),
  )
  return { action: 'deny' }
}

type HardenableContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>

/**
 * Locks down one webContents (the app calls this for every one created): no navigation away from the loaded page
 * (the UI is a single page with hash routes; in-page navigations do not emit these events), no new windows, no
 * webviews. Links that must open outside go through the bridge's `openExternal`, after the UI asked the user.
 */
export function hardenWebContents(
  contents: HardenableContents,
  options: { openExternal: (url: string) => Promise<void>; log?: SecurityLog },
): void {
  const refuse = (kind: string, event: { preventDefault(): void }, url: unknown) => {
    event.preventDefault()
    options.log?.warn({ url: String(url ?? '').slice(0, 200) }, `blocked ${kind}`)
  }
  contents.on('will-navigate', (event) => refuse('navigation', event, event.url))
  contents.on('will-frame-navigate', (event) => refuse('frame navigation', event, event.url))
  contents.on('will-redirect', (event) => refuse('redirect', event, event.url))
  contents.on('will-attach-webview', (event, _webPreferences, params) => refuse('webview', event, params['src']))
  contents.setWindowOpenHandler((details) => windowOpenDecision(details, options.openExternal, options.log))
}

/** Permissions the UI may use, from its own origin only. Everything else is denied. */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set([
  // A previewed video's fullscreen button; nothing to steal or spoof, and only our own page can ask.
  'fullscreen',
])

function originOf(url: string | undefined | null): string | undefined {
  if (!url) return undefined
  return isAppUrl(url) ? APP_ORIGIN : url
}

/** The permission decision, as a plain function (tests drive it). */
export function permissionAllowed(permission: string, requestingUrl: string | undefined | null): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && originOf(requestingUrl) === APP_ORIGIN
}

/** URLs the renderer must never reach: it needs no network of its own (the runtime does that in main). */
export const BLOCKED_REQUEST_URLS = ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'ftp://*/*', 'file:///*']

type HardenableSession = Pick<
  Session,
  'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler' | 'setDisplayMediaRequestHandler' | 'on'
> & { webRequest: Pick<Session['webRequest'], 'onBeforeRequest'> }

/**
 * Locks down a session: permission requests and checks denied (see ALLOWED_PERMISSIONS), no device access, no
 * screen capture, no network requests from the renderer (belt and braces beside the CSP), no renderer-started
 * downloads (downloads go through the bridge, to the runtime).
 */
export function hardenSession(session: HardenableSession, log?: SecurityLog): void {
  session.setPermissionRequestHandler((contents, permission, callback, details) => {
    const url = details && 'requestingUrl' in details ? details.requestingUrl : contents?.getURL()
    const allowed = permissionAllowed(permission, url)
    if (!allowed) log?.warn({ permission }, 'denied a permission request')
    callback(allowed)
  })
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    permissionAllowed(permission, requestingOrigin === APP_ORIGIN ? APP_ENTRY_URL : requestingOrigin),
  )
  session.setDevicePermissionHandler(() => false)
  session.setDisplayMediaRequestHandler((_request, callback) => {
    log?.warn({}, 'denied a screen capture request')
    // An empty answer refuses the capture.
    callback({})
  })
  session.webRequest.onBeforeRequest({ urls: BLOCKED_REQUEST_URLS }, (details, callback) => {
    log?.warn({ url: details.url.slice(0, 200) }, 'blocked a renderer network request')
    callback({ cancel: true })
  })
  session.on('will-download', (event) => {
    event.preventDefault()
    log?.warn({}, 'blocked a renderer-started download')
  })
}

/**
 * App-wide switches that must be set before `ready`: every renderer sandboxed (even if a window forgot), and every
 * webContents, whoever creates it, hardened as it is born.
 */
export function hardenApp(
  app: Pick<App, 'enableSandbox' | 'on'>,
  options: { openExternal: (url: string) => Promise<void>; log?: SecurityLog },
): void {
  app.enableSandbox()
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, options))
}
