import t from 'tap'
import { defaultRoute, parseHash, routeToHash, type Route } from '../../src/lib/route.js'

t.test('routes round-trip through the hash', async (t) => {
  const routes: Route[] = [
    { name: 'peers' },
    { name: 'downloads' },
    { name: 'settings' },
    { name: 'house', path: '' },
    { name: 'house', path: 'recipes/pancakes.md' },
    { name: 'peer', email: 'alice@example.com', path: '' },
    { name: 'peer', email: 'alice+x@example.com', path: 'notes/plan.md' },
    { name: 'peer', email: 'a@b.c', path: 'we#ird/na?me %/é.md' },
    { name: 'peer', email: 'alice@example.com', path: 'notes/plan.md', anchor: 'budget' },
    { name: 'peer', email: 'a@b.c', path: 'a?b/c.md', anchor: 'Part Two & more?#' },
    { name: 'search' },
    { name: 'search', by: 'name', q: 'harbour & sea?#/' },
    { name: 'search', by: 'sha256', q: 'ab'.repeat(32) },
  ]
  for (const r of routes) t.same(parseHash(routeToHash(r)), r, `${routeToHash(r)} round-trips`)
  t.equal(routeToHash({ name: 'peer', email: 'alice@example.com', path: 'notes/plan.md' }), '#/peer/alice%40example.com/notes/plan.md', 'the hash shape')
})

t.test('malformed hashes fall back safely', async (t) => {
  t.same(parseHash(''), defaultRoute, 'no hash is the default')
  t.same(parseHash('#/nowhere'), defaultRoute, 'an unknown screen is the default')
  t.same(parseHash('#/peer/%E0%A4%A'), defaultRoute, 'bad percent-encoding is the default')
  t.same(parseHash('#/peer/not-an-email'), defaultRoute, 'a peer needs an e-mail')
  t.same(parseHash('#/peer/a%40b.c/../../etc'), { name: 'peer', email: 'a@b.c', path: '' }, 'dot segments never reach the bridge')
  t.same(parseHash('#/peer/a%40b.c/x%2Fy'), { name: 'peer', email: 'a@b.c', path: '' }, 'an encoded slash inside a segment is refused')
  t.same(parseHash('#/house/a//b'), { name: 'house', path: 'a/b' }, 'empty segments are dropped')
  t.equal(routeToHash({ name: 'peer', email: 'a@b.c', path: 'x.md', anchor: 'part two' }), '#/peer/a%40b.c/x.md?at=part%20two', 'an anchor rides after ?at=')
  t.same(parseHash('#/peer/a%40b.c?at=x'), { name: 'peer', email: 'a@b.c', path: '' }, 'a folder has no anchor')
  t.same(parseHash(`#/peer/a%40b.c/x.md?at=${'y'.repeat(600)}`), { name: 'peer', email: 'a@b.c', path: 'x.md' }, 'an oversized anchor is dropped')
  t.same(parseHash('#/peers?at=x'), { name: 'peers' }, 'options on other screens are ignored')
})

t.test('search routes', async (t) => {
  t.equal(routeToHash({ name: 'search', by: 'name', q: 'a b' }), '#/search?name=a%20b', 'the term rides in the hash')
  t.same(parseHash('#/search?q=x'), { name: 'search' }, 'an unknown option is an empty search')
  t.same(parseHash(`#/search?name=${'x'.repeat(2000)}`), { name: 'search' }, 'an absurdly long term is dropped')
})
