import t from 'tap'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { DEFAULT_SHELL_SETTINGS, SHELL_SETTINGS_FILE, loadShellSettings } from '../../src/main/shell-settings.ts'
import { recordingLogger } from '../fakes.ts'

t.test('defaults when there is no file yet', async (t) => {
  const dir = t.testdir({})
  const log = recordingLogger()
  const store = await loadShellSettings(dir, log)
  t.same(store.get(), DEFAULT_SHELL_SETTINGS, 'keep running is off by default')
  t.equal(log.entries.length, 0, 'a missing file is normal, not logged')
})

t.test('a choice is saved atomically, private, and read back', async (t) => {
  const dir = path.join(t.testdir({}), 'userData')
  const store = await loadShellSettings(dir, recordingLogger())
  t.same(await store.set({ keepRunningInBackground: true }), { keepRunningInBackground: true }, 'set returns the new settings')
  const file = path.join(dir, SHELL_SETTINGS_FILE)
  t.same(JSON.parse(await fs.readFile(file, 'utf8')), { keepRunningInBackground: true }, 'the file holds the choice')
  if (process.platform !== 'win32') t.equal((await fs.stat(file)).mode & 0o777, 0o600, 'the file is private to the user')
  t.same((await fs.readdir(dir)).sort(), [SHELL_SETTINGS_FILE], 'no temporary file is left')
  const again = await loadShellSettings(dir, recordingLogger())
  t.same(again.get(), { keepRunningInBackground: true }, 'the next launch reads it back')
  await Promise.all([again.set({ keepRunningInBackground: false }), again.set({ keepRunningInBackground: true })])
  t.same(JSON.parse(await fs.readFile(file, 'utf8')), { keepRunningInBackground: true }, 'concurrent saves end with the last choice')
  await t.rejects(again.set({ keepRunningInBackground: 'yes' as never }), TypeError, 'a non-boolean is refused')
})

t.test('a broken file gives the defaults, logged', async (t) => {
  for (const [name, content] of [
    ['not JSON', '{oops'],
    ['wrong type', JSON.stringify({ keepRunningInBackground: 'yes' })],
    ['an array', '[]'],
  ] as const) {
    const dir = t.testdir({ [SHELL_SETTINGS_FILE]: content })
    const log = recordingLogger()
    const store = await loadShellSettings(dir, log)
    t.same(store.get(), DEFAULT_SHELL_SETTINGS, `${name}: defaults`)
    if (name !== 'an array') t.ok(log.entries.some((e) => e.level === 'warn'), `${name}: logged`)
  }
  const dir = t.testdir({ [SHELL_SETTINGS_FILE]: JSON.stringify({ keepRunningInBackground: true, extra: 'ignored' }) })
  t.same((await loadShellSettings(dir, recordingLogger())).get(), { keepRunningInBackground: true }, 'unknown fields are dropped')
})
