import t from 'tap'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { builtinModules } from 'node:module'
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
