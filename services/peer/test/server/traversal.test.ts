/**
 * The share root is the only thing ever served. A tree with secrets next to the root, symlinks that
 * escape in every way, a root reached through a symlink, and a table of hostile request targets sent
 * byte for byte over a real TLS socket (curl --path-as-is semantics). No secret may appear in any body.
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type FileListing } from '@flashback/protocol'
import { rawRequest, request, startServer, tempDir, type Tap } from './helper.js'

const SECRET = `TOP-SECRET-${randomBytes(8).toString('hex')}`
const DOT_SECRET = `DOT-SECRET-${randomBytes(8).toString('hex')}`
const PUBLIC = 'public words'

async function buildTree(t: Tap) {
  const base = await tempDir(t, 'flashback-traversal-')
  const share = join(base, 'real-share')
  await writeFile(join(base, 'secret.txt'), SECRET)
  await mkdir(join(base, 'secret-dir'))
  await writeFile(join(base, 'secret-dir', 'secret.txt'), SECRET)
  await mkdir(join(base, 'real-share-secret'))
  await writeFile(join(base, 'real-share-secret', 'secret.txt'), SECRET)
  await mkdir(join(share, 'docs', 'deep', 'a', 'b'), { recursive: true })
  await writeFile(join(share, 'public.txt'), PUBLIC)
  await writeFile(join(share, 'docs', 'readme.md'), `# readme\n${PUBLIC}\n`)
  await writeFile(join(share, 'docs', 'deep', 'a', 'b', 'c.txt'), PUBLIC)
  await writeFile(join(share, '.env'), DOT_SECRET)
  await mkdir(join(share, '.git'))
  await writeFile(join(share, '.git', 'config'), DOT_SECRET)
  // Symlinks that lead outside: relative, absolute, to folders, from several levels down.
  await symlink('../secret.txt', join(share, 'link-out-rel'))
  await symlink(join(base, 'secret.txt'), join(share, 'link-out-abs'))
  await symlink('../secret-dir', join(share, 'link-dir-out'))
  await symlink('../../../../../secret.txt', join(share, 'docs', 'deep', 'a', 'b', 'link-up'))
  await symlink(join(base, 'secret-dir'), join(share, 'docs', 'deep', 'link-dir-abs'))
  await symlink('../real-share-secret', join(share, 'link-sibling'))
  await symlink('/etc', join(share, 'link-etc'))
  await symlink('link-loop', join(share, 'link-loop'))
  await symlink('missing-target', join(share, 'link-dangling'))
  // Into hidden things: invisible while dotfiles are hidden.
  await symlink('.env', join(share, 'link-to-dot'))
  await symlink('.git', join(share, 'link-dir-to-dot'))
  // Symlinks that stay inside: they work.
  await symlink('docs/readme.md', join(share, 'link-in'))
  await symlink('docs', join(share, 'link-dir-in'))
  await symlink(join(share, 'public.txt'), join(share, 'docs', 'deep', 'link-in-abs'))
  // The root handed to the server is itself reached through a symlink.
  await symlink('real-share', join(base, 'share-link'))
  return { base, share, root: join(base, 'share-link') }
}

// Hostile targets below each route prefix. Every one must be refused (400/404), none may leak.
const HOSTILE = [
  '../secret.txt',
  '../../secret.txt',
  '..%2fsecret.txt',
  '..%2Fsecret.txt',
  '%2e%2e/secret.txt',
  '%2E%2E/secret.txt',
  '%2e%2e%2fsecret.txt',
  '.%2e/secret.txt',
  '%2e./secret.txt',
  '..%5csecret.txt',
  '..\\secret.txt',
  '%252e%252e/secret.txt',
  '%252e%252e%252fsecret.txt',
  '..%252fsecret.txt',
  '..%255csecret.txt',
  '%c0%ae%c0%ae/secret.txt',
  '%c0%ae%c0%ae%c0%afsecret.txt',
  '..%c0%afsecret.txt',
  '%e0%80%ae%e0%80%ae/secret.txt',
  '%c1%9c..%c1%9csecret.txt',
  '%u002e%u002e/secret.txt',
  '%ef%bc%8e%ef%bc%8e/secret.txt',
  '..;/secret.txt',
  '..%3b/secret.txt',
  '.../secret.txt',
  'docs/../../secret.txt',
  'docs/./../../secret.txt',
  './../secret.txt',
  'docs/%2e%2e/%2e%2e/secret.txt',
  'docs/..%2f..%2fsecret.txt',
  'docs/deep/a/b/c.txt/../../../../../../secret.txt',
  '/../secret.txt',
  '//etc/passwd',
  '%2fetc%2fpasswd',
  '/etc/passwd',
  'C:/Windows/win.ini',
  'C:%5cWindows%5cwin.ini',
  'C%3a%5c..%5csecret.txt',
  '\\\\server\\share\\secret.txt',
  '%5c%5cserver%5cshare%5csecret.txt',
  '//server/share/secret.txt',
  'secret.txt%00.md',
  'public.txt%00/../../secret.txt',
  'link-out-rel',
  'link-out-rel%00',
  'link-out-abs',
  'link-dir-out/secret.txt',
  'link-dir-out',
  'docs/deep/a/b/link-up',
  'docs/deep/link-dir-abs/secret.txt',
  'link-sibling/secret.txt',
  'link-etc/passwd',
  'link-etc/hostname',
  'link-loop',
  'link-dangling',
  'link-to-dot',
  'link-dir-to-dot/config',
  '.env',
  '.git/config',
  '%2eenv',
  '%2egit/config',
  '../real-share-secret/secret.txt',
]
const PREFIXES = ['/download/', '/content/', '/api/files/']

t.test('a table of hostile paths over a real socket: all refused, nothing leaks', async (t) => {
  const { root } = await buildTree(t)
  const server = await startServer(t, { root })
  t.ok(HOSTILE.length >= 40, `the table holds ${HOSTILE.length} hostile paths`)
  const targets = PREFIXES.flatMap((p) => HOSTILE.map((h) => p + h))
  // Whole request targets that try the same outside any route.
  targets.push('/../secret.txt', '/download/..', '/download', '/api/files/..', '/api/files/%2e%2e', '/content/%2e%2e%2f%2e%2e%2fsecret.txt', '/download%2f..%2fsecret.txt', 'http://127.0.0.1/download/../secret.txt', '*')
  for (const target of targets) {
    const res = await rawRequest(server.port, target)
    t.ok(res.status === 400 || res.status === 404, `${target} is refused (${res.status})`)
    t.notOk(res.raw.includes(SECRET) || res.raw.includes(DOT_SECRET), `${target} leaks no secret`)
  }
})

t.test('symlinks that stay inside work; the root may be reached through a symlink', async (t) => {
  const { root } = await buildTree(t)
  const server = await startServer(t, { root })
  const ok: [string, string][] = [
    ['/download/public.txt', PUBLIC],
    ['/download/link-in', PUBLIC],
    ['/content/link-dir-in/readme.md', PUBLIC],
    ['/download/docs/deep/link-in-abs', PUBLIC],
    ['/content/docs/deep/a/b/c.txt', PUBLIC],
  ]
  for (const [target, text] of ok) {
    const res = await rawRequest(server.port, target)
    t.equal(res.status, 200, `${target} is served`)
    t.ok(res.body.includes(text), `${target} has the right content`)
  }
  const listing = (await request(server.port, '/api/files')).json() as FileListing
  const names = listing.entries.map((e) => e.name)
  t.same(names, ['docs', 'link-dir-in', 'link-in', 'public.txt'], 'the root lists only what may be served, folders first')
  t.equal(listing.entries.find((e) => e.name === 'link-dir-in')?.type, 'directory', 'a folder symlink inside lists as a folder')
  t.equal(listing.entries.find((e) => e.name === 'link-in')?.size, `# readme\n${PUBLIC}\n`.length, 'a file symlink lists its target size')
  const deep = (await request(server.port, '/api/files/docs/deep')).json() as FileListing
  t.same(deep.entries.map((e) => e.name), ['a', 'link-in-abs'], 'escaping links deeper down are not listed either')
  const viaLink = (await request(server.port, '/api/files/link-dir-in')).json() as FileListing
  t.equal(viaLink.path, 'link-dir-in', 'a listing through a folder link keeps the logical path')
  t.same(viaLink.entries.map((e) => e.path), ['link-dir-in/deep', 'link-dir-in/readme.md'], 'and its entries’ paths build on it')
})

t.test('showDotfiles serves dot-names but never lets a symlink out', async (t) => {
  const { root } = await buildTree(t)
  const server = await startServer(t, { root, showDotfiles: true })
  const env = await rawRequest(server.port, '/download/.env')
  t.equal(env.status, 200, 'a dotfile is served when shown')
  const viaLink = await rawRequest(server.port, '/content/link-dir-to-dot/config')
  t.equal(viaLink.status, 200, 'a link into a dot-folder works when shown')
  const listing = (await request(server.port, '/api/files')).json() as FileListing
  t.ok(listing.entries.some((e) => e.name === '.git') && listing.entries.some((e) => e.name === '.env'), 'dot-names are listed when shown')
  for (const target of ['/download/link-out-rel', '/download/link-dir-out/secret.txt', '/download/../secret.txt', '/download/%2e%2e/secret.txt']) {
    const res = await rawRequest(server.port, target)
    t.ok(res.status === 400 || res.status === 404, `${target} is still refused with dotfiles shown`)
    t.notOk(res.raw.includes(SECRET), `${target} leaks nothing`)
  }
})

t.test('curl --path-as-is agrees, when curl is installed', async (t) => {
  // Asynchronous on purpose: a synchronous child would block the server living in this process.
  const { execFile } = await import('node:child_process')
  const { promisify } = await import('node:util')
  const run = promisify(execFile)
  const hasCurl = await run('curl', ['--version']).then(() => true, () => false)
  if (!hasCurl) {
    t.comment('SKIP: curl is not installed')
    return
  }
  const { root } = await buildTree(t)
  const server = await startServer(t, { root })
  for (const path of ['../secret.txt', '%2e%2e/secret.txt', 'link-out-rel', 'docs/../../secret.txt']) {
    const url = `https://127.0.0.1:${server.port}/download/${path}`
    const res = await run('curl', ['-sk', '--path-as-is', '-w', '\n%{http_code}', url], { encoding: 'utf8' })
    const status = res.stdout.trim().split('\n').pop()
    t.ok(status === '400' || status === '404', `curl --path-as-is ${path} is refused (${status})`)
    t.notOk(res.stdout.includes(SECRET), `curl --path-as-is ${path} leaks nothing`)
  }
})
