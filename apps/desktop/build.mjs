// Bundles the Electron shell with esbuild (about a second; needs nothing but the workspace sources and the installed
// packages, so it runs in the root `prepare` on a clean clone):
// - dist/main/index.cjs: the main process, CommonJS for Node 22 (Electron 38). Everything is inlined (our
//   TypeScript workspaces and their third-party packages) except `electron`, so a packaged app needs no
//   node_modules at all. None of the runtime's packages is native; if one ever is, add it to NATIVE and to
//   electron-builder.yml's `files`.
// - dist/preload/index.cjs: the sandboxed preload. Sandboxed preloads may `require` only `electron` (and a few
//   polyfilled modules), so it is built for the browser platform and the build fails if it imports anything else.
// The UI is not built here: the app loads apps/ui/dist at run time (see src/main/paths.ts and README.md).
//
//   node build.mjs             build
//   node build.mjs --require-ui   also fail unless apps/ui/dist/index.html exists (packaging: `npm run dist`)
import { build } from 'esbuild'
import { existsSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { fileURLToPath } from 'node:url'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const NATIVE = []
// Every `node:` specifier is a built-in (node:sqlite, node:test… are missing from builtinModules: they exist only with
// the prefix, and may be newer than the Node running this build; Electron's Node is the judge at run time).
const isBuiltin = (m) => m.startsWith('node:') || builtinModules.includes(m)

/** The imports a bundle left to `require` at run time, from esbuild's metafile. */
export function externalImports(metafile) {
  const found = new Set()
  for (const output of Object.values(metafile.outputs)) {
    for (const imp of output.imports) if (imp.external) found.add(imp.path)
  }
  return [...found].sort()
}

export async function buildDesktop({ outdir = here('./dist'), requireUi = false } = {}) {
  if (requireUi && !existsSync(here('../ui/dist/index.html'))) {
    throw new Error('apps/ui/dist/index.html is missing: build the UI first (npm run build -w @flashback/ui)')
  }
  const common = { bundle: true, sourcemap: 'linked', logLevel: 'warning', metafile: true, legalComments: 'none', absWorkingDir: here('.') }

  const main = await build({
    ...common,
    entryPoints: { index: here('./src/main/index.ts') },
    outdir: `${outdir}/main`,
    outExtension: { '.js': '.cjs' },
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external: ['electron', ...NATIVE],
    // ES module sources may read import.meta.url; in CommonJS it is this file's URL.
    define: { 'import.meta.url': '__flashbackImportMetaUrl' },
    banner: { js: "const __flashbackImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  })
  const mainExternal = externalImports(main.metafile).filter((m) => !isBuiltin(m))
  const unexpected = mainExternal.filter((m) => m !== 'electron' && !NATIVE.includes(m))
  if (unexpected.length) throw new Error(`the main bundle would require packages at run time: ${unexpected.join(', ')}`)

  const preload = await build({
    ...common,
    entryPoints: { index: here('./src/preload/index.ts') },
    outdir: `${outdir}/preload`,
    outExtension: { '.js': '.cjs' },
    platform: 'browser',
    target: 'chrome140',
    format: 'cjs',
    external: ['electron'],
  })
  const preloadExternal = externalImports(preload.metafile)
  if (preloadExternal.some((m) => m !== 'electron')) {
    throw new Error(`the sandboxed preload may only require electron, not: ${preloadExternal.filter((m) => m !== 'electron').join(', ')}`)
  }
  return { mainExternal, preloadExternal }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildDesktop({ requireUi: process.argv.includes('--require-ui') })
}
