/**
 * What the browser learnt about paths from listings (type, size, MIME), so opening a file from a list needs no
 * extra round trip. Paths never seen (a typed address, a markdown link) are resolved by asking for a listing.
 */
import { type FileEntry } from '@flashback/protocol'

const MAX = 50_000
const cache = new Map<string, FileEntry>()
const key = (email: string, path: string) => `${email.toLowerCase()}\n${path}`

export function rememberEntries(email: string, entries: readonly FileEntry[]): void {
  if (cache.size + entries.length > MAX) cache.clear()
  for (const e of entries) cache.set(key(email, e.path), e)
}

export function knownEntry(email: string, path: string): FileEntry | undefined {
  return cache.get(key(email, path))
}

export function forgetEntries(): void {
  cache.clear()
}
