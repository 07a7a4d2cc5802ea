/**
 * Web mode's locks. The server listens on 127.0.0.1 only, but any web page the user opens can still make their
 * browser send requests to it, so:
 * - a random token (256 bits) is part of the printed URL; the page trades it once for an HttpOnly SameSite=Strict
 *   cookie (named after the port: cookies are shared between ports of one host, and alice's and bob's web UIs may
 *   run side by side), and every request but the UI's own files and that exchange needs the cookie (else 401);
 * - `Host` must be `127.0.0.1:<port>` or `localhost:<port>`: a DNS-rebinding page sends its own name (403);
 * - a present `Origin` must be this very origin, and `Sec-Fetch-Site` (sent by every current browser) may only be
 *   same-origin or none (a typed address): other sites, including other ports of 127.0.0.1 (same-site!), are refused
 *   (403) even when the browser attaches the cookie;
 * - every answer carries a strict CSP (no inline script, no framing), nosniff and no-referrer.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { type IncomingMessage } from 'node:http'

/** The UI's pages: scripts, styles and fetches only from here, no framing, no plugins, no forms elsewhere. */
export const WEB_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** A peer's file is hostile content: opened directly, it runs nothing and loads nothing. */
export const REMOTE_CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'; img-src data:; media-src data:; style-src 'unsafe-inline'"

/** On every answer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  // Other origins (another web UI on another port included) cannot even embed our answers.
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
}

/** 32 random bytes, base64url: the access token of the printed URL and the session cookie's value. */
export const newSecret = (): string => randomBytes(32).toString('base64url')

/** Constant-time comparison of two secrets (length leaks nothing: ours is fixed). */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The session cookie's name for a server on `port`. */
export const sessionCookieName = (port: number): string => `flashback_session_${port}`

export function sessionCookie(port: number, value: string): string {
  return `${sessionCookieName(port)}=${value}; Path=/; HttpOnly; SameSite=Strict`
}

/** The value of one cookie in a request, if present. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie
  if (!header || header.length > 16 * 1024) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** The hosts a request may name: this port on the loopback address or on localhost. */
export const allowedHosts = (port: number): string[] => [`127.0.0.1:${port}`, `localhost:${port}`]

export type RequestCheck = { ok: true } | { ok: false; message: string }

/** DNS rebinding: a page served under another name that resolves to 127.0.0.1 sends that name (403). */
export function checkHost(req: IncomingMessage, port: number): RequestCheck {
  const host = (req.headers.host ?? '').toLowerCase()
  if (allowedHosts(port).includes(host)) return { ok: true }
  return { ok: false, message: `This server only answers requests for 127.0.0.1:${port} or localhost:${port}.` }
}

/**
 * CSRF and cross-site reads: 403 unless the request comes from this very origin or from no page at all (an address
 * typed or opened from the terminal). Checked on everything that needs the session.
 */
export function checkSameOrigin(req: IncomingMessage): RequestCheck {
  const host = (req.headers.host ?? '').toLowerCase()
  const origin = req.headers.origin
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) {
    return { ok: false, message: 'Requests from other web pages are refused.' }
  }
  const site = req.headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { ok: false, message: 'Requests from other web pages are refused.' }
  }
  return { ok: true }
}
