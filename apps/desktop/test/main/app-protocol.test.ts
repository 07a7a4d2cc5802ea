import t, { type Test } from 'tap'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { appFilePath, contentTypeOf, createAppFileHandler, UI_MISSING_PAGE } from '../../src/main/app-protocol.ts'
import { APP_CONTENT_SECURITY_POLICY } from '../../src/main/security.ts'

function uiFolder(t: Test) {
  const dir = t.testdir({
    ui: {
      'index.html': '<!doctype html><script type="module" src="./assets/index.js"></script>',
      assets: { 'index.js': 'console.log(1)', 'index.css': 'body{}', 'logo.svg': '<svg/>' },
      '.env': 'SECRET=1',
    },
    'outside.txt': 'not part of the UI',
  })
  return { root: path.join(dir, 'ui'), dir }
}

t.test('appFilePath decodes once and refuses anything that is not a plain path', async (t) => {
  const cases: Array<[string, string | null]> = [
    ['/', 'index.html'],
    ['', 'index.html'],
    ['/index.html', 'index.html'],
    ['/assets/index-abc.js', 'assets/index-abc.js'],
    ['/assets/a%20b.png', 'assets/a b.png'],
    ['/../secret', null],
    ['/assets/../../secret', null],
    ['/%2e%2e/secret', null],
    ['/assets%2f..%2f..%2fsecret', null],
    ['/a%5cb', null],
    ['/a%00b', null],
    ['/.env', null],
    ['/assets/.hidden', null],
    ['/a//b', null],
    ['/%E0%A4%A', null],
  ]
  for (const [input, expected] of cases) t.equal(appFilePath(input), expected, `${JSON.stringify(input)} → ${expected}`)
})

t.test('the UI files are served with the CSP and nosniff', async (t) => {
  const { root } = uiFolder(t)
  const handler = createAppFileHandler({ root })
  const index = await handler(new Request('app://flashback/'))
  t.equal(index.status, 200, '/ serves index.html')
  t.equal(index.headers.get('content-type'), 'text/html; charset=utf-8', 'as HTML')
  t.equal(index.headers.get('content-security-policy'), APP_CONTENT_SECURITY_POLICY, 'with the app CSP header')
  t.equal(index.headers.get('x-content-type-options'), 'nosniff', 'and nosniff')
  t.match(await index.text(), /assets\/index\.js/, 'the file content')
  const js = await handler(new Request('app://flashback/assets/index.js'))
  t.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8', 'scripts as JavaScript (module scripts need it)')
  t.equal(js.headers.get('content-length'), String('console.log(1)'.length), 'with their length')
  const head = await handler(new Request('app://flashback/assets/index.css', { method: 'HEAD' }))
  t.equal(head.status, 200, 'HEAD is answered')
  t.equal(head.body, null, 'without a body')
  t.equal(contentTypeOf('x.woff2'), 'font/woff2', 'fonts have their type')
  t.equal(contentTypeOf('x.unknown'), 'application/octet-stream', 'unknown files are bytes')
})

t.test('nothing outside the UI folder is reachable', async (t) => {
  const { root, dir } = uiFolder(t)
  await fs.symlink(path.join(dir, 'outside.txt'), path.join(root, 'assets', 'link.txt'))
  await fs.symlink(dir, path.join(root, 'up'))
  const handler = createAppFileHandler({ root })
  const refused = [
    'app://flashback/assets/link.txt',
    'app://flashback/up/outside.txt',
    'app://flashback/%2e%2e/outside.txt',
    'app://flashback/.env',
    'app://flashback/assets',
    'app://flashback/missing.js',
    'app://other/index.html',
  ]
  for (const url of refused) {
    const res = await handler(new Request(url))
    t.equal(res.status, 404, `${url} is 404`)
    t.notMatch(await res.text(), /not part of the UI|SECRET/, `${url} leaks nothing`)
  }
  const post = await handler(new Request('app://flashback/index.html', { method: 'POST', body: 'x' }))
  t.equal(post.status, 405, 'POST is refused')
})

t.test('a missing UI build shows how to build it', async (t) => {
  const dir = t.testdir({})
  const handler = createAppFileHandler({ root: path.join(dir, 'not-built') })
  const res = await handler(new Request('app://flashback/index.html'))
  t.equal(res.status, 503, 'the page answers 503')
  t.equal(await res.text(), UI_MISSING_PAGE, 'with the build instructions')
  t.equal(res.headers.get('content-security-policy'), APP_CONTENT_SECURITY_POLICY, 'under the same CSP')
  t.equal((await handler(new Request('app://flashback/assets/index.js'))).status, 404, 'other files are 404')
  await fs.mkdir(path.join(dir, 'not-built'))
  await fs.writeFile(path.join(dir, 'not-built', 'index.html'), '<!doctype html>built')
  t.equal((await handler(new Request('app://flashback/'))).status, 200, 'once built, the UI is served without restarting the handler')
})
