import t from 'tap'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createAppFileHandler } from '../../src/main/app-protocol.ts'
import { APP_ENTRY_URL } from '../../src/main/security.ts'

// The real UI build through the real app:// handler: every asset index.html names must load with the right type.
const uiDist = fileURLToPath(new URL('../../../ui/dist', import.meta.url))

t.test('the built UI loads through app://flashback/', { skip: existsSync(`${uiDist}/index.html`) ? false : 'apps/ui/dist is not built (npm run build -w @flashback/ui)' }, async (t) => {
  const handler = createAppFileHandler({ root: uiDist })
  const index = await handler(new Request(APP_ENTRY_URL))
  t.equal(index.status, 200, 'index.html is served')
  const html = await index.text()
  const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((r) => !/^[a-z]+:/i.test(r))
  t.ok(refs.length >= 2, 'index.html names its script and stylesheet')
  t.ok(refs.every((r) => r.startsWith('./')), "every reference is relative (Vite's base './'), so it resolves under app://flashback/")
  for (const ref of refs) {
    const url = new URL(ref, APP_ENTRY_URL).href
    const res = await handler(new Request(url))
    t.equal(res.status, 200, `${ref} loads`)
    const type = res.headers.get('content-type') ?? ''
    if (ref.endsWith('.js')) t.match(type, /^text\/javascript/, `${ref} is JavaScript (module scripts need it under nosniff)`)
    if (ref.endsWith('.css')) t.match(type, /^text\/css/, `${ref} is CSS`)
    if (ref.endsWith('.svg')) t.equal(type, 'image/svg+xml', `${ref} is SVG`)
  }
  const inlineScript = /<script(?![^>]*\bsrc=)[^>]*>\s*\S/.test(html)
  t.notOk(inlineScript, 'no inline script (the CSP would block it)')
})
