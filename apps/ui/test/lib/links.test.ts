import t from 'tap'
import { resolveMarkdownImage, resolveMarkdownLink, type LinkTarget } from '../../src/lib/links.js'

const file = 'notes/plan.md'
const kind = (href: string | undefined, from = file): LinkTarget['kind'] => resolveMarkdownLink(href, from).kind

t.test('relative links open inside the same house', async (t) => {
  t.same(resolveMarkdownLink('ideas.txt', file), { kind: 'internal', path: 'notes/ideas.txt', folder: false }, 'a sibling file')
  t.same(resolveMarkdownLink('../index.md', file), { kind: 'internal', path: 'index.md', folder: false }, 'a file one level up')
  t.same(resolveMarkdownLink('../photos/', file), { kind: 'internal', path: 'photos', folder: true }, 'a folder link ends in a slash')
  t.same(resolveMarkdownLink('notes/plan.md', 'index.md'), { kind: 'internal', path: 'notes/plan.md', folder: false }, 'index.md → notes/plan.md (the demo link)')
  t.same(resolveMarkdownLink('my%20file.md', file), { kind: 'internal', path: 'notes/my file.md', folder: false }, 'percent-encoding is decoded once')
  t.same(resolveMarkdownLink('other.md#part-two', file), { kind: 'internal', path: 'notes/other.md', folder: false, hash: 'part-two' }, 'a fragment is kept apart')
  t.same(resolveMarkdownLink('other.md?raw=1', file), { kind: 'internal', path: 'notes/other.md', folder: false }, 'a query is ignored')
  t.same(resolveMarkdownLink('/index.md', file), { kind: 'internal', path: 'index.md', folder: false }, 'a leading slash is the house root')
  t.same(resolveMarkdownLink('..', file), { kind: 'internal', path: '', folder: true }, '.. from a folder is the root folder')
  t.same(resolveMarkdownLink('#section', file), { kind: 'anchor', id: 'section' }, 'a bare fragment is an anchor in the document')
})

t.test('dangerous or foreign links are refused', async (t) => {
  const refused = [
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    '  javascript:alert(1)',
    'java\tscript:alert(1)',
    'java\nscript:alert(1)',
    '\u0001javascript:alert(1)',
    'vbscript:msgbox(1)',
    'data:text/html,<script>alert(1)</script>',
    'file:///etc/passwd',
    'mailto:someone@example.com',
    'flashback://peer/x@y.z/a',
    '//evil.example.com/x',
    '../../../../etc/passwd',
    '..\\..\\secret',
    'a%2',
    'https://user:pass@example.com/',
    '',
    '#',
  ]
  for (const href of refused) t.equal(kind(href), 'refused', `${JSON.stringify(href)} is refused`)
  t.equal(kind(undefined), 'refused', 'a missing href is refused')
  const r = resolveMarkdownLink('javascript:alert(1)', file)
  t.match(r.kind === 'refused' ? r.reason : '', /javascript: links are not followed/, 'the reason names the scheme')
})

t.test('outside http(s) links ask before opening', async (t) => {
  t.same(resolveMarkdownLink('https://example.org/flashback', file), { kind: 'external', url: 'https://example.org/flashback' }, 'https is external')
  t.same(resolveMarkdownLink('HTTP://Example.org', file), { kind: 'external', url: 'http://example.org/' }, 'http in any case is external, normalised')
  t.equal(kind('https://exa mple.org'), 'refused', 'a malformed URL is refused')
})

t.test('images load only from the same house', async (t) => {
  t.same(resolveMarkdownImage('../photos/sunset.svg', file), { path: 'photos/sunset.svg' }, 'a relative picture loads from the house')
  t.equal(resolveMarkdownImage('https://tracker.example.com/pixel.gif', file), null, 'an outside picture is not loaded (no tracking pixels)')
  t.equal(resolveMarkdownImage('data:image/png;base64,AAAA', file), null, 'a data: picture is not loaded')
  t.equal(resolveMarkdownImage('../', file), null, 'a folder is not a picture')
  t.equal(resolveMarkdownImage(undefined, file), null, 'no source, no picture')
})
