// Bundles the CLI (and through it the tracker and the peer) into dist/flashback.js.
import { buildNode } from '../../scripts/build-node.mjs'

await buildNode({ entryPoints: { flashback: 'src/main.ts' }, outdir: new URL('./dist', import.meta.url).pathname })
