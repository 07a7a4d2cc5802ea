import t from 'tap'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

// electron-builder's own loader and schema validation (the packaging itself needs the network to fetch Electron).
const require = createRequire(import.meta.url)
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: null): Promise<Record<string, unknown>>
  validateConfiguration(config: unknown, logger: unknown): Promise<void>
}
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown }

const projectDir = fileURLToPath(new URL('..', import.meta.url))
const targets = (section: unknown) => ((section as { target: string[] }).target ?? []).slice().sort()

t.test('electron-builder.yml is valid and builds the four installers', async (t) => {
  const config = await getConfig(projectDir, 'electron-builder.yml', null)
  await t.resolves(validateConfiguration(config, new DebugLogger(false)), "the configuration passes electron-builder's schema")
  t.same(targets(config['linux']), ['AppImage', 'deb'], 'Linux: AppImage and deb')
  t.same(targets(config['win']), ['nsis'], 'Windows: nsis')
  t.same(targets(config['mac']), ['dmg'], 'macOS: dmg')
  // getConfig normalizes `files` into filter sets.
  const files = (config['files'] as Array<string | { filter: string[] }>).flatMap((f) => (typeof f === 'string' ? [f] : f.filter))
  t.same(files, ['package.json', 'dist/**/*', '!dist/**/*.map'], 'only the bundles are packed (no node_modules, no sources)')
  t.same(
    (config['extraResources'] as Array<{ from: string; to: string }>).map((r) => `${r.from} → ${r.to}`),
    ['../ui/dist → ui', 'build/icon.png → icon.png'],
    'the UI build and the icon are resources (where paths.ts looks for them)',
  )
  const fuses = config['electronFuses'] as Record<string, boolean>
  t.equal(fuses['runAsNode'], false, 'ELECTRON_RUN_AS_NODE is disabled in the packaged binary')
  t.equal(fuses['enableNodeOptionsEnvironmentVariable'], false, 'NODE_OPTIONS is ignored')
  t.equal(fuses['enableNodeCliInspectArguments'], false, '--inspect is ignored')
  t.equal(fuses['onlyLoadAppFromAsar'], true, 'code loads only from the archive')
  t.equal(fuses['grantFileProtocolExtraPrivileges'], false, 'file:// gets no extra privileges')
})
