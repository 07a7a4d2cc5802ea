import t from 'tap'
import { baseName, breadcrumbs, extensionOf, isSharePath, joinPath, parentPath, resolveRelativePath } from '../../src/lib/paths.js'

t.test('join, parent, base name, extension', async (t) => {
  t.equal(joinPath('', 'a'), 'a', 'joining onto the root adds no slash')
  t.equal(joinPath('a/b', 'c'), 'a/b/c', 'joining onto a folder adds one slash')
  t.equal(joinPath('a', ''), 'a', 'joining nothing keeps the folder')
  t.equal(parentPath('a/b/c.md'), 'a/b', 'the parent of a nested file is its folder')
  t.equal(parentPath('a'), '', 'the parent of a top-level entry is the root')
  t.equal(parentPath(''), '', 'the root is its own parent')
  t.equal(baseName('a/b/c.md'), 'c.md', 'the base name is the last segment')
  t.equal(baseName(''), '', 'the root has an empty base name')
  t.equal(extensionOf('notes/Plan.MD'), 'md', 'extensions are lower-cased')
  t.equal(extensionOf('archive.tar.gz'), 'gz', 'only the last extension counts')
  t.equal(extensionOf('.env'), '', 'a dotfile has no extension')
  t.equal(extensionOf('Makefile'), '', 'a name without a dot has no extension')
  t.equal(extensionOf('a.b/file'), '', 'a dot in a folder name is not an extension')
})

t.test('breadcrumbs', async (t) => {
  t.same(breadcrumbs('', 'Alice'), [{ label: 'Alice', path: '' }], 'the root alone')
  t.same(
    breadcrumbs('notes/old/2023.md', 'Alice'),
    [
      { label: 'Alice', path: '' },
      { label: 'notes', path: 'notes' },
      { label: 'old', path: 'notes/old' },
      { label: '2023.md', path: 'notes/old/2023.md' },
    ],
    'one crumb per segment, each leading to its own path',
  )
})

t.test('relative resolution', async (t) => {
  const cases: [string, string, string | null, string][] = [
    ['notes', 'plan.md', 'notes/plan.md', 'a sibling'],
    ['notes', './plan.md', 'notes/plan.md', 'an explicit ./'],
    ['notes', '../index.md', 'index.md', 'one level up'],
    ['notes/old', '../../photos/a.svg', 'photos/a.svg', 'two levels up then down'],
    ['', '../secret', null, 'climbing above the root is refused'],
    ['notes', '../../x', null, 'climbing above the root from a folder is refused'],
    ['notes', '/index.md', 'index.md', 'a leading slash means the share root'],
    ['notes', 'a//b', 'notes/a/b', 'empty segments are dropped'],
    ['notes', 'sub/', 'notes/sub', 'a trailing slash is dropped'],
    ['notes', '.', 'notes', 'the current folder'],
    ['', '..', null, 'the root has no parent'],
  ]
  for (const [from, ref, expected, what] of cases) t.equal(resolveRelativePath(from, ref), expected, what)
})

t.test('share path check mirrors the bridge schema', async (t) => {
  for (const p of ['', 'a', 'a/b', '.env', 'a b/c']) t.ok(isSharePath(p), `${JSON.stringify(p)} is a share path`)
  for (const p of ['/a', 'a/', 'a//b', '..', 'a/../b', 'a/./b', 'a\\b', 'a\u0000']) t.notOk(isSharePath(p), `${JSON.stringify(p)} is not`)
})
