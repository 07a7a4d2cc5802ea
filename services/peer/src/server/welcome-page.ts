/**
 * The share's welcome page: `index.md` in the share root, written only when there is none (never
 * overwriting, even when one appears while we look: the write is exclusive). It greets visitors and
 * links the top-level entries as they were at first start; the owner may edit it freely afterwards.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { encodeSharePath } from './path-guard.js'
import { buildIndex, type ListingOptions } from './listing.js'

export const WELCOME_FILE = 'index.md'
/** Links at most this many entries; a huge root gets a note instead of a huge page. */
const MAX_LINKS = 200

// Markdown punctuation that could turn a name into markup or break the link.
const escapeMarkdown = (text: string): string => text.replace(/[\\`*_{}[\]()<>#+!|~]/g, '\\$&')

export function welcomePageText(email: string, entries: readonly { name: string; dir: boolean }[]): string {
  const lines = [
    `# ${escapeMarkdown(email)}'s shared folder`,
    '',
    'Welcome! This folder is shared with Flashback: browse it, read its text files and download anything you find.',
    '',
  ]
  const listed = entries.filter((e) => e.name !== WELCOME_FILE).slice(0, MAX_LINKS)
  if (listed.length > 0) {
    lines.push("## What's here", '')
    for (const e of listed) {
      const label = escapeMarkdown(e.name) + (e.dir ? '/' : '')
      lines.push(`- [${label}](<${encodeSharePath([e.name])}${e.dir ? '/' : ''}>)`)
    }
    if (entries.length > listed.length + 1) lines.push('', `…and more: ${entries.length} entries in all.`)
    lines.push('')
  } else {
    lines.push('The folder is empty for now.', '')
  }
  lines.push('_Flashback wrote this page because the folder had no index.md. Edit it as you like: it is never overwritten._', '')
  return lines.join('\n')
}

/** Create `index.md` when missing. Returns true when it was written now. */
export async function ensureWelcomePage(realRoot: string, email: string, opts: ListingOptions): Promise<boolean> {
  const entries = await buildIndex(realRoot, opts)
  if (entries.some((e) => e.name === WELCOME_FILE)) return false
  try {
    await writeFile(join(realRoot, WELCOME_FILE), welcomePageText(email, entries), { flag: 'wx', mode: 0o644 })
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  }
}
