import t from 'tap'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join, sep } from 'node:path'
import { decodeSharePath, encodeSharePath, nameProblem, relativeInsideRoot, resolveInsideRoot, resolveShareRoot } from '../../src/server/path-guard.js'
import { tempDir } from './helper.js'

const posix = { showDotfiles: false, platform: 'linux' as const }
const win = { showDotfiles: false, platform: 'win32' as const }

t.test('decodeSharePath accepts ordinary paths and decodes each segment once', async (t) => {
  const cases: [string, string[]][] = [
    ['', []],
    ['a.txt', ['a.txt']],
    ['docs/notes/plan.md', ['docs', 'notes', 'plan.md']],
    ['caf%C3%A9%20cr%C3%A8me.txt', ['café crème.txt']],
    ['%2525.txt', ['%25.txt']],
    ['%252e%252e', ['%2e%2e']],
    ['a%3Bb', ['a;b']],
    ['C%3A', ['C:']],
    ['%E2%80%AE', ['\u202e']],
  ]
  for (const [raw, segments] of cases) {
    const got = decodeSharePath(raw, posix)
    t.same(got, { ok: true, segments }, `"${raw}" decodes once to ${JSON.stringify(segments)}`)
  }
})

t.test('decodeSharePath refuses every form of escape with 400, hidden names with 404', async (t) => {
  const cases: [string, 400 | 404, string][] = [
    ['..', 400, 'parent segment'],
    ['a/../b', 400, 'parent segment inside'],
    ['.', 400, 'current-folder segment'],
    ['%2e%2e', 400, 'encoded dots decode to ..'],
    ['%2E%2E/secret', 400, 'upper-case encoded dots'],
    ['.%2e', 400, 'half-encoded dots'],
    ['a//b', 400, 'empty segment'],
    ['/etc/passwd', 400, 'absolute path (leading empty segment)'],
    ['a/', 400, 'trailing slash'],
    ['a%2fb', 400, 'encoded slash'],
    ['a%2Fb', 400, 'encoded slash, upper case'],
    ['a%5cb', 400, 'encoded backslash'],
    ['a\\b', 400, 'raw backslash'],
    ['..\\secret', 400, 'Windows parent form'],
    ['a%00b', 400, 'encoded NUL'],
    ['%c0%ae%c0%ae', 400, 'overlong UTF-8 dots'],
    ['%e0%80%ae', 400, 'three-byte overlong dot'],
    ['%ff', 400, 'invalid UTF-8'],
    ['%zz', 400, 'malformed escape'],
    ['%', 400, 'truncated escape'],
    ['caf\u00e9', 400, 'unencoded non-ASCII'],
    ['a b', 400, 'unencoded space'],
    ['a\tb', 400, 'control character'],
    ['x'.repeat(256), 400, 'name over 255 bytes'],
    ['a/'.repeat(3000), 400, 'path over the length limit'],
    ['.ssh/id_ed25519', 404, 'dot-folder is hidden'],
    ['.env', 404, 'dotfile is hidden'],
    ['%2eenv', 404, 'encoded dotfile is hidden'],
    ['..%3B/secret', 404, '..; is just a hidden name, never a parent'],
  ]
  for (const [raw, status, why] of cases) {
    const got = decodeSharePath(raw, posix)
    t.equal(got.ok, false, `${why}: "${raw.slice(0, 40)}" is refused`)
    if (!got.ok) t.equal(got.status, status, `${why}: answered ${status}`)
  }
})

t.test('dotfiles are served when the server shows them, dot segments never', async (t) => {
  const rules = { showDotfiles: true, platform: 'linux' as const }
  t.same(decodeSharePath('.env', rules), { ok: true, segments: ['.env'] }, 'a dotfile decodes with showDotfiles')
  t.equal(decodeSharePath('..', rules).ok, false, '.. stays refused with showDotfiles')
  t.equal(decodeSharePath('.', rules).ok, false, '. stays refused with showDotfiles')
})

t.test('Windows rules refuse drive letters, streams, devices and trailing dots', async (t) => {
  const cases = ['C%3A', 'C%3A/Windows/win.ini', 'secret.txt%3A%3A%24DATA', 'NUL', 'con.txt', 'COM1', 'lpt9.log', 'secret.txt.', 'secret.txt%20', 'a%3Cb', 'a%7Cb', 'a%3Fb', 'a%2Ab']
  for (const raw of cases) t.equal(decodeSharePath(raw, win).ok, false, `"${raw}" is refused under Windows rules`)
  t.equal(decodeSharePath('C%3A', posix).ok, true, 'a colon is an ordinary character on POSIX')
  t.equal(nameProblem('console.txt', win), undefined, 'a name that only starts like a device is fine')
})

t.test('relativeInsideRoot compares against the real root with a separator boundary', async (t) => {
  const root = { real: `${sep}srv${sep}share`, prefix: `${sep}srv${sep}share${sep}` }
  t.equal(relativeInsideRoot(root, `${sep}srv${sep}share`, false), '', 'the root itself')
  t.equal(relativeInsideRoot(root, `${sep}srv${sep}share${sep}a${sep}b`, false), 'a/b', 'a path below')
  t.equal(relativeInsideRoot(root, `${sep}srv${sep}share-secret${sep}x`, false), undefined, 'a sibling sharing the prefix is outside')
  t.equal(relativeInsideRoot(root, `${sep}srv`, false), undefined, 'the parent is outside')
  t.equal(relativeInsideRoot(root, `${sep}srv${sep}share${sep}.git${sep}config`, false), undefined, 'a hidden folder is outside while dotfiles are hidden')
  t.equal(relativeInsideRoot(root, `${sep}srv${sep}share${sep}.git${sep}config`, true), '.git/config', 'and inside when shown')
})

t.test('resolveInsideRoot follows symlinks only while they stay inside', async (t) => {
  const base = await tempDir(t)
  const share = join(base, 'share')
  await mkdir(join(share, 'docs'), { recursive: true })
  await mkdir(join(share, '.hidden'))
  await writeFile(join(share, 'docs', 'a.txt'), 'a')
  await writeFile(join(share, '.hidden', 'h.txt'), 'h')
  await writeFile(join(base, 'secret.txt'), 'secret')
  await symlink(join(share, 'docs', 'a.txt'), join(share, 'inside-link'))
  await symlink('../secret.txt', join(share, 'outside-link'))
  await symlink('.hidden', join(share, 'to-hidden'))
  const root = await resolveShareRoot(share)
  t.equal(await resolveInsideRoot(root, ['docs', 'a.txt'], false), join(share, 'docs', 'a.txt'), 'a plain file resolves')
  t.equal(await resolveInsideRoot(root, ['inside-link'], false), join(share, 'docs', 'a.txt'), 'a symlink inside resolves to its target')
  t.equal(await resolveInsideRoot(root, ['outside-link'], false), undefined, 'a symlink leading outside resolves to nothing')
  t.equal(await resolveInsideRoot(root, ['to-hidden', 'h.txt'], false), undefined, 'a symlink into a hidden folder resolves to nothing')
  t.equal(await resolveInsideRoot(root, ['missing'], false), undefined, 'a missing path resolves to nothing')
  t.equal(await resolveInsideRoot(root, [], false), share, 'no segments is the root')
})

t.test('encodeSharePath is the inverse of decoding', async (t) => {
  const names = ['a b', 'café', '%25', 'x#y?z', 'semi;colon']
  const encoded = encodeSharePath(names)
  t.same(decodeSharePath(encoded, posix), { ok: true, segments: names }, 'encode then decode gives the names back')
})
