// Bundles a Node entry point with esbuild: our own workspaces (TypeScript sources) are inlined,
// every third-party package stays an external import resolved from node_modules at run time
// (native modules such as better-sqlite3 cannot be bundled, and pino's workers must stay files).
import { build } from 'esbuild'

const keepThirdPartyExternal = {
  name: 'external-third-party',
  setup(b) {
    b.onResolve({ filter: /^[^./]|^\.[^./]|^\.\.[^/]/ }, (args) => {
      if (args.path.startsWith('@flashback/') || args.path.startsWith('node:')) return undefined
      return { path: args.path, external: true }
    })
  },
}

/** @param {{ entryPoints: Record<string,string> | string[], outdir: string, banner?: string }} opts */
export async function buildNode(opts) {
  await build({
    entryPoints: opts.entryPoints,
    outdir: opts.outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    logLevel: 'warning',
    plugins: [keepThirdPartyExternal],
    banner: opts.banner ? { js: opts.banner } : undefined,
  })
}
