/**
 * Searching the tracker's file registry and publishing my share to it, in words: pure helpers for the Search
 * screen and the Settings screen's publishing card (tested without a browser).
 */
import { type PublishingStatus, type SearchFilesArgs, type SearchResult } from '@flashback/protocol'
import { formatBytes, plural } from './format.js'
import { parentPath } from './paths.js'
import { type Route, type SearchBy } from './route.js'

/** A pasted hash: spaces and colons dropped, lower case ("AB:CD …" → "abcd…"). */
export const normalizeSha256 = (text: string): string => text.replace(/[\s:]/g, '').toLowerCase()

/** What is wrong with a search term before it is sent, or null when it can go. */
export function searchProblem(by: SearchBy, text: string): string | null {
  if (by === 'name') {
    const name = text.trim()
    if (name.length < 2) return 'Type at least 2 characters of the file name.'
    if (name.length > 255) return 'A file name has at most 255 characters.'
    return null
  }
  return /^[0-9a-f]{64}$/.test(normalizeSha256(text)) ? null : 'A SHA-256 is 64 hexadecimal digits (0–9, a–f).'
}

/** The bridge call's argument for a term (already checked with `searchProblem`). */
export function searchArgs(by: SearchBy, text: string, page: { cursor?: string; limit?: number } = {}): SearchFilesArgs {
  const term = by === 'name' ? { name: text.trim() } : { sha256: normalizeSha256(text) }
  return { ...term, ...(page.cursor ? { cursor: page.cursor } : {}), ...(page.limit ? { limit: page.limit } : {}) }
}

/** Where "Open folder" goes: the file's folder in its owner's house (mine: my house). */
export function resultFolderRoute(result: Pick<SearchResult, 'email' | 'path' | 'mine'>): Route {
  const folder = parentPath(result.path)
  return result.mine ? { name: 'house', path: folder } : { name: 'peer', email: result.email, path: folder }
}

/** "a1b2c3d4…e5f6": enough to compare by eye; the whole hash goes in a tooltip and the copy button. */
export const shortHash = (sha256: string): string => (sha256.length > 16 ? `${sha256.slice(0, 8)}…${sha256.slice(-4)}` : sha256)

/** Results joined page after page: a later page never repeats what an earlier one showed. */
export function appendResults(shown: readonly SearchResult[], page: readonly SearchResult[]): SearchResult[] {
  const key = (r: SearchResult) => `${r.email.toLowerCase()}\n${r.path}`
  const seen = new Set(shown.map(key))
  return [...shown, ...page.filter((r) => !seen.has(key(r)))]
}

export interface PublishingLook {
  title: string
  detail: string
  tone: 'ok' | 'muted' | 'busy' | 'bad'
  /** Hashing progress 0..100 (by bytes), or null when there is no bar to show. */
  percent: number | null
}

/** A headline, a sentence and a progress bar for the publishing card. */
export function describePublishing(p: PublishingStatus): PublishingLook {
  const percent = p.bytes > 0 ? Math.min(100, Math.floor((p.bytesHashed / p.bytes) * 100)) : p.files > 0 ? Math.floor((p.hashed / p.files) * 100) : 0
  const unreadable = p.unreadable > 0 ? ` ${plural(p.unreadable, 'file')} could not be read.` : ''
  switch (p.state) {
    case 'off':
      return { title: 'Not published', detail: 'Others cannot find your files by searching. They can still visit your house.', tone: 'muted', percent: null }
    case 'waiting':
      return { title: 'Waiting for sharing to start', detail: 'Publishing starts as soon as your house is open.', tone: 'busy', percent: null }
    case 'scanning':
      return { title: 'Looking through your shared folder…', detail: `${plural(p.files, 'file')} found so far.`, tone: 'busy', percent: null }
    case 'hashing':
      return {
        title: `Hashing ${p.hashed.toLocaleString('en-US')} of ${plural(p.files, 'file')}`,
        detail: `${formatBytes(p.bytesHashed)} of ${formatBytes(p.bytes)}. Files are published as soon as they are hashed.${unreadable}`,
        tone: 'busy',
        percent,
      }
    case 'idle':
      if (!p.syncing) return { title: 'The tracker keeps no file registry', detail: 'Your files are hashed, but this tracker cannot publish them.', tone: 'bad', percent: null }
      if (p.pending > 0) return { title: 'Publishing…', detail: `${plural(p.pending, 'change')} to send to the tracker.${unreadable}`, tone: 'busy', percent: null }
      return { title: 'Published', detail: `${plural(p.published, 'file')} can be found by others.${unreadable}`, tone: 'ok', percent: null }
  }
}
