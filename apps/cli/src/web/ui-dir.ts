/**
 * Where the built renderer is: `FLASHBACK_UI_DIR` when set, else `apps/ui/dist` found by walking up from this
 * module (the same answer from the sources, apps/cli/src/web, and from the bundle, apps/cli/dist).
 */
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export function resolveUiDir(env: NodeJS.ProcessEnv = process.env, from: string = dirname(fileURLToPath(import.meta.url))): string {
  if (env.FLASHBACK_UI_DIR) return resolve(env.FLASHBACK_UI_DIR)
  let dir = from
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'apps', 'ui', 'dist')
    if (existsSync(join(candidate, 'index.html'))) return candidate
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  // Not built: startWebUi then says how to build it.
  return resolve(from, '..', '..', '..', 'ui', 'dist')
}
