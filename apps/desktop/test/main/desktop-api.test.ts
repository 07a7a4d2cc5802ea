import t from 'tap'
import { bridgeChannelNames, toBridgeError } from '@flashback/protocol'
import { createDesktopApi, type ShellHooks } from '../../src/main/desktop-api.ts'
import { fakeCore, sampleDownload } from '../fakes.ts'

function hooks(existing: string[] = [sampleDownload.file]) {
  const calls = { revealed: [] as string[], opened: [] as string[], chosen: 0 }
  const shell: ShellHooks = {
    async chooseFolder() {
      calls.chosen++
      return '/home/ada/Shared'
    },
    revealFile: (file) => calls.revealed.push(file),
    async openExternal(url) {
      calls.opened.push(url)
    },
    fileExists: async (file) => existing.includes(file),
  }
  return { shell, calls }
}

t.test('the desktop API delegates to the runtime and replaces the shell-only methods', async (t) => {
  const core = fakeCore()
  const { shell, calls } = hooks()
  const api = createDesktopApi(core, shell, { version: '9.9.9' })
  for (const name of bridgeChannelNames) t.equal(typeof api[name], 'function', `${name} exists`)

  t.same(await api.getStatus(), core.results.getStatus, "the runtime's methods answer (bound to the runtime object)")
  t.same(await api.listRemoteFiles({ email: 'bob@example.com', path: '' }), core.results.listRemoteFiles, 'with their arguments')
  t.same(core.calls.at(-1), { name: 'listRemoteFiles', args: { email: 'bob@example.com', path: '' } }, 'passed through')

  const info = await api.getInfo()
  t.same(
    info,
    { mode: 'desktop', version: '9.9.9', canChooseFolder: true, canReveal: true, downloadsFolder: '/home/ada/Downloads' },
    "getInfo: the runtime's answer with the desktop's abilities",
  )
  t.same(await api.chooseShareFolder(), { path: '/home/ada/Shared' }, 'chooseShareFolder opens the native picker')
  t.equal(calls.chosen, 1, 'once')
  t.notOk(core.calls.some((c) => c.name === 'chooseShareFolder'), "the runtime's chooseShareFolder is never used")

  const off = api.subscribe(() => {})
  t.equal(core.listeners.size, 1, 'subscribe reaches the runtime')
  off()
  t.equal(core.listeners.size, 0, 'and unsubscribes')
})

t.test('openExternal opens http(s) only', async (t) => {
  const { shell, calls } = hooks()
  const api = createDesktopApi(fakeCore(), shell, { version: '1' })
  t.same(await api.openExternal({ url: 'https://example.org/' }), { opened: true }, 'https is opened')
  t.same(await api.openExternal({ url: 'javascript:alert(1)' }), { opened: false }, 'javascript: is not')
  t.same(await api.openExternal({ url: 'file:///etc/passwd' }), { opened: false }, 'file: is not')
  t.same(calls.opened, ['https://example.org/'], 'only the https URL reached the system browser')
})

t.test('revealDownload shows the file (or its partial file) in the file manager', async (t) => {
  const core = fakeCore()
  const done = hooks()
  const api = createDesktopApi(core, done.shell, { version: '1' })
  t.same(await api.revealDownload({ id: 'dl-1' }), { ok: true }, 'a finished download is revealed')
  t.same(done.calls.revealed, [sampleDownload.file], 'its file')

  const partial = hooks([`${sampleDownload.file}.part`])
  const api2 = createDesktopApi(core, partial.shell, { version: '1' })
  await api2.revealDownload({ id: 'dl-1' })
  t.same(partial.calls.revealed, [`${sampleDownload.file}.part`], 'an unfinished download shows its partial file')

  const unknown = await api.revealDownload({ id: 'nope' }).catch((e: unknown) => e)
  t.equal(toBridgeError(unknown).code, 'invalid_state', 'an unknown id is invalid_state')
  const gone = hooks([])
  const missing = await createDesktopApi(core, gone.shell, { version: '1' }).revealDownload({ id: 'dl-1' }).catch((e: unknown) => e)
  t.equal(toBridgeError(missing).code, 'invalid_state', 'a file that is gone is invalid_state')
  t.match(toBridgeError(missing).message, /holiday\.mp4/, 'naming the file')
  t.same(gone.calls.revealed, [], 'nothing is revealed')
})

t.test('a runtime object without a bridge method is refused at startup', async (t) => {
  const broken = Object.create(fakeCore()) as Record<string, unknown>
  Object.defineProperty(broken, 'listPeers', { value: undefined })
  t.throws(() => createDesktopApi(broken as never, hooks().shell, { version: '1' }), /no method listPeers/, 'a missing method fails loudly')
})
