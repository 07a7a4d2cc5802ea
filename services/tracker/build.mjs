// Production bundles: dist/server.js (the tracker) and dist/healthcheck.js (the container's HEALTHCHECK).
// Our workspaces are inlined, third-party packages stay external (resolved from node_modules).
import { buildNode } from '../../scripts/build-node.mjs'

await buildNode({
  entryPoints: {
    server: new URL('./src/server.ts', import.meta.url).pathname,
    healthcheck: new URL('./src/healthcheck.ts', import.meta.url).pathname,
  },
  outdir: new URL('./dist', import.meta.url).pathname,
})
