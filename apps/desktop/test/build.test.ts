import t from 'tap'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { builtinModules } from 'node:module'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { bridgeChannelNames } from '@flashback/protocol'
// @ts-expect-error build.mjs is plain JavaScript without declarations
import { buildDesktop } from '../build.mjs'

t.test('build.mjs bundles main and a sandbox-safe preload', async (t) => {
  const outdir = t.testdir({})
  const { mainExternal, preloadExternal } = (await buildDesktop({ outdir })) as { mainExternal: string[]; preloadExternal: string[] }
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)])
  t.same(mainExternal, ['electron'], 'main requires only electron besides Node built-ins: no node_modules needed when packaged')
  t.same(preloadExternal, ['electron'], 'the preload requires only electron')
  t.ok((await fs.stat(path.join(outdir, 'main', 'index.cjs'))).size > 0, 'dist/main/index.cjs is written')
  const preload = await fs.readFile(path.join(outdir, 'preload', 'index.cjs'), 'utf8')
  const required = [...preload.matchAll(/\brequire\(["']([^"']+)["']\)/g)].map((m) => m[1])
  t.same([...new Set(required)], ['electron'], 'the preload text has no other require()')
  t.notOk(required.some((r) => builtins.has(r!)), 'no Node built-in in the sandboxed preload')

  // Run the bundle as Electron's sandboxed preload loader would: a CommonJS wrapper whose require knows only electron.
  const exposed: Record<string, unknown> = {}
  const invoked: string[] = []
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
    ipcRenderer: { invoke: async (channel: string) => invoked.push(channel), on() {}, removeListener() {} },
  }
  const sandboxRequire = (name: string) => {
    if (name !== 'electron') throw new Error(`module not found: ${name}`)
    return electron
  }
  const module = { exports: {} }
  new Function('require', 'module', 'exports', preload)(sandboxRequire, module, module.exports)
  const api = exposed['flashback'] as Record<string, (arg?: unknown) => Promise<unknown>>
  t.ok(api, 'the bundle exposes window.flashback')
  t.same(Object.keys(api).sort(), [...bridgeChannelNames, 'subscribe', 'remoteFileUrl'].sort(), 'with the FlashbackApi members')
  await api['getStatus']!()
  t.same(invoked, ['flashback:getStatus'], 'and a method invokes its channel')
})

t.test('the built main bundle runs: ready, bridge, protocol, quit (Electron faked, runtime real)', async (t) => {
  const outdir = t.testdir({ userData: {} })
  await buildDesktop({ outdir })
  const fake = fileURLToPath(new URL('./smoke/fake-electron.cjs', import.meta.url))
  // A plain Node child: no tsx loader, no coverage collection of the bundle.
  const env: NodeJS.ProcessEnv = { ...process.env, FAKE_ELECTRON_USER_DATA: path.join(outdir, 'userData'), NODE_OPTIONS: '' }
  delete env['NODE_V8_COVERAGE']
  const { stdout } = await promisify(execFile)(process.execPath, ['-r', fake, path.join(outdir, 'main', 'index.cjs')], { env, timeout: 60_000 })
  const steps = new Map<string, unknown>(
    stdout
      .trim()
      .split('\n')
      .map((line) => {
        const parsed = JSON.parse(line) as { step: string }
        return [parsed.step, parsed]
      }),
  )
  t.notOk(steps.has('failed'), `no step failed ${JSON.stringify(steps.get('failed') ?? '')}`)
  t.notOk(steps.has('error-box'), 'no startup error')
  const win = steps.get('window') as { url: string; webPreferences: Record<string, unknown> }
  t.equal(win.url, 'app://flashback/index.html', 'the window loads the app page')
  t.equal(win.webPreferences['preload'], path.join(outdir, 'preload', 'index.cjs'), 'with the preload built next to main')
  t.equal(win.webPreferences['sandbox'], true, 'sandboxed')
  const channels = steps.get('channels') as { channels: string[]; protocols: string[] }
  t.equal(channels.channels.length, bridgeChannelNames.length, 'every bridge channel has its handler')
  t.same(channels.protocols, ['app', 'flashback'], 'both protocols are handled')
  t.equal((steps.get('getInfo') as { result: { mode: string } }).result.mode, 'desktop', 'the real runtime bridge answers in desktop mode')
  t.equal((steps.get('getSettings') as { result: { settings: unknown } }).result.settings, null, 'a fresh profile asks for the first-run setup')
  t.match((steps.get('foreign') as { message: string }).message, /"error":"forbidden"/, 'a foreign page is refused')
  t.equal((steps.get('remote') as { status: number }).status, 502, 'flashback:// before setup is an upstream error, not a crash')
  t.ok(steps.has('quit'), 'the app quits cleanly after stopping the runtime')
})
