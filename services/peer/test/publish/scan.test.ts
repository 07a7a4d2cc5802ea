/** Walking the share: regular files in name order, no links, no hidden or unservable names, bounded. */
import t, { type Test } from 'tap'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { publishablePath, scanShare, statShareFile } from '../../src/publish/scan.js'

const rules = { showDotfiles: false, platform: 'linux' as NodeJS.Platform }

async function share(t: Test): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'fb-scan-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  for (const [path, data] of Object.entries({
    'b.txt': 'b',
    'a.txt': 'aa',
    'dir/z.bin': 'zzz',
    'dir/sub/y.md': 'y',
    '.hidden': 'h',
    '.git/config': 'c',
    'dir/.secret': 's',
  })) {
    await mkdir(join(root, path, '..'), { recursive: true })
    await writeFile(join(root, path), data)
  }
  await symlink(join(root, 'a.txt'), join(root, 'link.txt'))
  await symlink('/etc', join(root, 'outside'))
  return root
}

t.test('scanShare', async (t) => {
  const root = await share(t)
  const all = await scanShare(root, '', { rules, maxFiles: 100 })
  t.same(all.files.map((f) => f.path), ['a.txt', 'b.txt', 'dir/z.bin', 'dir/sub/y.md'], 'regular files, a folder\'s own before its subfolders\', each in name order; dotfiles, links and what they point at are left out')
  t.same(all.files[0], { path: 'a.txt', name: 'a.txt', size: 2, mtimeMs: all.files[0]?.mtimeMs }, 'each with name, size and mtime')
  t.equal(all.truncated, false, 'not truncated')
  t.ok(all.skipped >= 4, `skipped entries are counted (${all.skipped})`)
  const withDots = await scanShare(root, '', { rules: { ...rules, showDotfiles: true }, maxFiles: 100 })
  t.same(withDots.files.map((f) => f.path), ['.hidden', 'a.txt', 'b.txt', '.git/config', 'dir/.secret', 'dir/z.bin', 'dir/sub/y.md'], 'dotfiles when shown')
  t.same((await scanShare(root, 'dir', { rules, maxFiles: 100 })).files.map((f) => f.path), ['dir/z.bin', 'dir/sub/y.md'], 'a subtree')
  const capped = await scanShare(root, '', { rules, maxFiles: 2 })
  t.same(capped.files.map((f) => f.path), ['a.txt', 'b.txt'], 'at most maxFiles, the first in walk order')
  t.equal(capped.truncated, true, 'reported as truncated')
  const excluded = await scanShare(root, '', { rules, maxFiles: 100, exclude: (p) => p === join(root, 'b.txt') })
  t.notOk(excluded.files.some((f) => f.path === 'b.txt'), 'an excluded path is left out')
  t.same((await scanShare(join(root, 'missing'), '', { rules, maxFiles: 100 })).files, [], 'a missing root is an empty share, not an error')
})

t.test('statShareFile and publishablePath', async (t) => {
  const root = await share(t)
  t.equal((await statShareFile(root, 'dir/z.bin', rules))?.size, 3, 'a file is found')
  t.equal(await statShareFile(root, 'link.txt', rules), undefined, 'a link is not a file to publish')
  t.equal(await statShareFile(root, 'dir', rules), undefined, 'nor is a folder')
  t.equal(await statShareFile(root, 'gone.txt', rules), undefined, 'nor something missing')
  const cases: [string, boolean][] = [
    ['a.txt', true],
    ['dir/sub/y.md', true],
    ['.hidden', false],
    ['dir/.secret/x', false],
    ['', false],
    ['a\nb', false],
    ['x'.repeat(256), false],
    [`${'d/'.repeat(600)}x`, false],
    ['../up', false],
  ]
  for (const [path, ok] of cases) t.equal(publishablePath(path, rules), ok, `${JSON.stringify(path.slice(0, 30))}: ${ok ? 'publishable' : 'not publishable'}`)
  t.equal(publishablePath('con.txt', { ...rules, platform: 'win32' }), false, 'Windows device names are not publishable on Windows')
})
