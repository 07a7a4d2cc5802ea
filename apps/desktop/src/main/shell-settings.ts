/**
 * The shell's own settings (not the peer's: those live in the runtime's profile), kept in the app's userData folder
 * as `desktop-settings.json`, written atomically. Today one choice: whether the peer keeps sharing, with only the
 * tray icon left, when the window is closed.
 */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { Type, type Static } from 'typebox'
import Value from 'typebox/value'
import { writeFileAtomic } from '@flashback/identity'
import { type Logger } from '@flashback/peer'

export const SHELL_SETTINGS_FILE = 'desktop-settings.json'
const MAX_FILE_BYTES = 64 * 1024

export const ShellSettings = Type.Object({
  /** Closing the window leaves the peer running (tray); otherwise closing the window quits and stops the peer. */
  keepRunningInBackground: Type.Boolean(),
})
export type ShellSettings = Static<typeof ShellSettings>

export const DEFAULT_SHELL_SETTINGS: ShellSettings = { keepRunningInBackground: false }

export interface ShellSettingsStore {
  get(): ShellSettings
  set(patch: Partial<ShellSettings>): Promise<ShellSettings>
}

/** Reads the file (a missing, unreadable or invalid file gives the defaults, logged) and returns the store. */
export async function loadShellSettings(userDataDir: string, log: Logger): Promise<ShellSettingsStore> {
  const file = path.join(userDataDir, SHELL_SETTINGS_FILE)
  let current: ShellSettings = { ...DEFAULT_SHELL_SETTINGS }
  try {
    const stat = await fs.stat(file)
    if (stat.size > MAX_FILE_BYTES) throw new Error('the file is too large')
    const parsed: unknown = JSON.parse(await fs.readFile(file, 'utf8'))
    const candidate = { ...DEFAULT_SHELL_SETTINGS, ...(typeof parsed === 'object' && parsed !== null ? parsed : {}) }
    const cleaned = { keepRunningInBackground: (candidate as Record<string, unknown>)['keepRunningInBackground'] }
    if (!Value.Check(ShellSettings, cleaned)) throw new Error('the file does not hold valid settings')
    current = cleaned as ShellSettings
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ file, err }, 'desktop settings unreadable; using the defaults')
  }
  let writing: Promise<unknown> = Promise.resolve()
  return {
    get: () => ({ ...current }),
    async set(patch) {
      const next = { ...current, ...patch }
      if (!Value.Check(ShellSettings, next)) throw new TypeError('invalid desktop settings')
      current = { keepRunningInBackground: next.keepRunningInBackground }
      const snapshot = JSON.stringify(current, null, 2) + '\n'
      // One write after the other, so the last choice is the one on disk.
      writing = writing.catch(() => {}).then(async () => {
        await fs.mkdir(userDataDir, { recursive: true })
        await writeFileAtomic(file, snapshot, 0o600)
      })
      await writing
      return { ...current }
    },
  }
}
