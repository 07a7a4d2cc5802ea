// Production bundle: dist/server.js (our workspaces inlined, third-party packages external).
import { buildNode } from '../../scripts/build-node.mjs'

await buildNode({
  entryPoints: { server: new URL('./src/server.ts', import.meta.url).pathname },
  outdir: new URL('./dist', import.meta.url).pathname,
})
