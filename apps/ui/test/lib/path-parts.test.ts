import t from 'tap'
import { splitPathForDisplay } from '../../src/lib/path-parts.js'

t.test('the last name of a path stays whole', async (t) => {
  t.same(splitPathForDisplay('/home/bob/Flashback/share'), { head: '/home/bob/Flashback', tail: '/share' }, 'a POSIX path')
  t.same(splitPathForDisplay('C:\\Users\\Bob\\Downloads'), { head: 'C:\\Users\\Bob', tail: '\\Downloads' }, 'a Windows path')
  t.same(splitPathForDisplay('/home/bob/share/'), { head: '/home/bob', tail: '/share/' }, 'a trailing separator stays with the last name')
  t.same(splitPathForDisplay('/share'), { head: '', tail: '/share' }, 'one level: nothing to cut')
  t.same(splitPathForDisplay('share'), { head: '', tail: 'share' }, 'a bare name')
  for (const p of ['/a/b/c', 'C:\\x\\y', '/']) {
    const { head, tail } = splitPathForDisplay(p)
    t.equal(head + tail, p, `${p}: the parts together are the whole path`)
  }
})
