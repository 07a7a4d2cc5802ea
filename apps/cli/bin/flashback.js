#!/usr/bin/env node
// The `flashback` command. Runs the bundle that `npm ci` builds (root `prepare`); from a source
// checkout without a build it says how to make one instead of failing with a stack trace.
import { existsSync } from 'node:fs'

const bundle = new URL('../dist/flashback.js', import.meta.url)
if (!existsSync(bundle)) {
  console.error('flashback: the CLI is not built yet; run `npm run build -w @flashback/cli` (npm ci does it for you)')
  process.exit(1)
}
await import(bundle.href)
