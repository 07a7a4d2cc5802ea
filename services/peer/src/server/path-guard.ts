/**
 * The share root is the only thing ever served. A request path goes through two gates:
 *
 * 1. `decodeSharePath`: a pure check of the text. The path is split on '/' while still percent-encoded,
 *    each segment is decoded exactly once, and anything that could mean "somewhere else" is refused:
 *    NUL, backslashes, encoded separators, '.' and '..', empty segments (which also catches absolute
 *    paths such as '//etc/passwd'), malformed or overlong UTF-8, and on Windows drive letters, streams,
 *    device names and trailing dots. Dot-names are hidden unless the server shows dotfiles.
 * 2. `resolveInsideRoot`: `realpath` of the joined path must be the real root or lie under it, and
 *    (dotfiles hidden) contain no dot-name either, so a symlink that leads outside, or into a hidden
 *    folder, is simply invisible.
 */
import { realpath } from 'node:fs/promises'
import { join, sep } from 'node:path'
import { PEER_MAX_NAME_BYTES, PEER_MAX_PATH_CHARS } from '@flashback/protocol'

export interface NameRules {
  /** Serve names that start with '.' (default: hidden and refused). */
  showDotfiles: boolean
  /** Whose file-name rules apply; tests pass 'win32' to check the Windows rules on any machine. */
  platform: NodeJS.Platform
}

export type DecodedPath =
  | { ok: true; segments: string[] }
  | { ok: false; status: 400 | 404; reason: string }

// Windows device names are special in every folder, with or without an extension ("nul.txt").
const WINDOWS_DEVICE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i
// Characters Windows refuses in names; ':' would also reach drive letters and NTFS streams ("a.txt::$DATA").
// eslint-disable-next-line no-control-regex
const WINDOWS_FORBIDDEN = /[<>:"|?*\u0000-\u001f]/
const UNENCODED = /[^\u0021-\u007e]/
const ENCODED_SEPARATOR_OR_NUL = /%(2f|5c|00)/i

/** Why a single (decoded) name may not be served, or undefined when it may. */
export function nameProblem(name: string, rules: NameRules): { status: 400 | 404; reason: string } | undefined {
  if (name === '') return { status: 400, reason: 'empty path segment' }
  if (name === '.' || name === '..') return { status: 400, reason: 'dot segment' }
  if (name.includes('\0')) return { status: 400, reason: 'NUL byte' }
  if (name.includes('/') || name.includes('\\')) return { status: 400, reason: 'separator inside a name' }
  if (Buffer.byteLength(name) > PEER_MAX_NAME_BYTES) return { status: 400, reason: 'name too long' }
  if (rules.platform === 'win32') {
    if (WINDOWS_FORBIDDEN.test(name)) return { status: 400, reason: 'character Windows forbids' }
    if (/[. ]$/.test(name)) return { status: 400, reason: 'trailing dot or space' }
    if (WINDOWS_DEVICE.test(name)) return { status: 400, reason: 'Windows device name' }
  }
  if (!rules.showDotfiles && name.startsWith('.')) return { status: 404, reason: 'hidden name' }
  return undefined
}

/**
 * Turn the still-encoded path after a route prefix ('' for the root, else 'a/b%20c.txt') into names.
 * Decodes once; never touches the disk.
 */
export function decodeSharePath(raw: string, rules: NameRules): DecodedPath {
  if (raw === '') return { ok: true, segments: [] }
  if (raw.length > PEER_MAX_PATH_CHARS) return { ok: false, status: 400, reason: 'path too long' }
  if (raw.includes('\\')) return { ok: false, status: 400, reason: 'backslash' }
  // RFC 3986: everything outside printable ASCII must arrive percent-encoded (browsers always do).
  if (UNENCODED.test(raw)) return { ok: false, status: 400, reason: 'unencoded character' }
  if (ENCODED_SEPARATOR_OR_NUL.test(raw)) return { ok: false, status: 400, reason: 'encoded separator or NUL' }
  const segments: string[] = []
  for (const part of raw.split('/')) {
    let name: string
    try {
      // Throws on malformed escapes and on invalid UTF-8, overlong forms such as %c0%ae included.
      name = decodeURIComponent(part)
    } catch {
      return { ok: false, status: 400, reason: 'malformed percent-encoding' }
    }
    const problem = nameProblem(name, rules)
    if (problem) return { ok: false, ...problem }
    segments.push(name)
  }
  return { ok: true, segments }
}

/** The share root, resolved once at start: every containment check compares against it. */
export interface ShareRoot {
  /** realpath of the root (no symlinks, no trailing separator unless it is '/'). */
  real: string
  /** `real` with exactly one trailing separator, for prefix checks. */
  prefix: string
}

export async function resolveShareRoot(root: string): Promise<ShareRoot> {
  const real = await realpath(root)
  return { real, prefix: real.endsWith(sep) ? real : real + sep }
}

/**
 * Where a real path sits relative to the real root: '' for the root itself, 'a/b' below it,
 * or undefined when it is outside (or, dotfiles hidden, inside something hidden).
 */
export function relativeInsideRoot(root: ShareRoot, real: string, showDotfiles: boolean): string | undefined {
  if (real === root.real) return ''
  if (!real.startsWith(root.prefix)) return undefined
  const rel = real.slice(root.prefix.length)
  const parts = rel.split(sep)
  if (!showDotfiles && parts.some((p) => p.startsWith('.'))) return undefined
  return parts.join('/')
}

/**
 * The real path of share-relative `segments`, or undefined when it does not exist, cannot be resolved,
 * or resolves outside the root. Callers answer 404 to undefined: an escaping symlink looks like nothing.
 */
export async function resolveInsideRoot(
  root: ShareRoot,
  segments: readonly string[],
  showDotfiles: boolean,
  fs: { realpath(path: string): Promise<string> } = { realpath },
): Promise<string | undefined> {
  if (segments.length === 0) return root.real
  let real: string
  try {
    real = await fs.realpath(join(root.real, ...segments))
  } catch {
    return undefined
  }
  return relativeInsideRoot(root, real, showDotfiles) === undefined ? undefined : real
}

/** Percent-encode share-relative names back into a URL path ('a b/c' → 'a%20b/c'). */
export function encodeSharePath(segments: readonly string[]): string {
  return segments.map((s) => encodeURIComponent(s)).join('/')
}
