import t from 'tap'
import path from 'node:path'
import { resolveDesktopPaths } from '../../src/main/paths.ts'

t.test('development: the bundle next to the preload, the UI from apps/ui/dist', async (t) => {
  const mainDir = path.join('/repo', 'apps', 'desktop', 'dist', 'main')
  const paths = resolveDesktopPaths({ mainDir, isPackaged: false, resourcesPath: '/electron/resources', env: {} })
  t.equal(paths.preload, path.join('/repo', 'apps', 'desktop', 'dist', 'preload', 'index.cjs'), 'the preload bundle')
  t.equal(paths.uiRoot, path.join('/repo', 'apps', 'ui', 'dist'), "apps/ui's Vite build, loaded at run time")
  t.equal(paths.icon, path.join('/repo', 'apps', 'desktop', 'build', 'icon.png'), 'the icon from build/')
  const override = resolveDesktopPaths({ mainDir, isPackaged: false, resourcesPath: '/r', env: { FLASHBACK_UI_DIR: '/tmp/other-ui' } })
  t.equal(override.uiRoot, path.resolve('/tmp/other-ui'), 'FLASHBACK_UI_DIR points a developer build elsewhere')
})

t.test('packaged: the UI and icon from the resources folder', async (t) => {
  const paths = resolveDesktopPaths({ mainDir: '/opt/Flashback/resources/app.asar/dist/main', isPackaged: true, resourcesPath: '/opt/Flashback/resources', env: { FLASHBACK_UI_DIR: '/tmp/evil' } })
  t.equal(paths.uiRoot, path.join('/opt/Flashback/resources', 'ui'), 'resources/ui (electron-builder extraResources)')
  t.equal(paths.icon, path.join('/opt/Flashback/resources', 'icon.png'), 'resources/icon.png')
  t.equal(paths.preload, path.join('/opt/Flashback/resources/app.asar/dist/preload/index.cjs'), 'the preload inside the app archive')
})
