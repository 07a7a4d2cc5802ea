import t from 'tap'
import { anchorElementIds, clobberPrefix, createSlugger, rehypeHeadingIds, slugify } from '../../src/lib/heading-ids.js'

t.test('slugs follow GitHub', async (t) => {
  t.equal(slugify('Part two'), 'part-two', 'lower case, spaces become dashes')
  t.equal(slugify('  What’s new? (2025)  '), 'whats-new-2025', 'punctuation is dropped, ends are trimmed')
  t.equal(slugify('Été à Noël'), 'été-à-noël', 'letters of any script stay')
  t.equal(slugify('snake_case and-dash'), 'snake_case-and-dash', 'underscores and dashes stay')
  t.equal(slugify('<script>'), 'script', 'markup characters vanish')
  const slug = createSlugger()
  t.same([slug('Notes'), slug('Notes'), slug('Notes'), slug('Notes-1')], ['notes', 'notes-1', 'notes-2', 'notes-1-1'], 'repeats are numbered like GitHub')
})

t.test('the rehype step gives headings ids and leaves the rest alone', async (t) => {
  const text = (value: string) => ({ type: 'text', value })
  const el = (tagName: string, children: unknown[], properties: Record<string, unknown> = {}) => ({ type: 'element', tagName, properties, children })
  const tree = {
    type: 'root',
    children: [
      el('h1', [text('Plan for '), el('em', [text('the summer')])]),
      el('h2', [text('Budget')]),
      el('p', [text('Budget')]),
      el('h2', [text('Budget')]),
      el('h2', [text('Footnotes')], { id: 'footnote-label' }),
      el('h3', [text('!!!')]),
    ],
  }
  rehypeHeadingIds()(tree as never)
  const ids = tree.children.map((c) => (c as { properties: Record<string, unknown> }).properties.id)
  t.same(ids, ['plan-for-the-summer', 'budget', undefined, 'budget-1', 'footnote-label', undefined], 'nested text counts, repeats are numbered, existing ids and empty slugs are kept as they are, paragraphs get none')
})

t.test('a fragment maps to ids inside the sanitised document only', async (t) => {
  t.equal(clobberPrefix, 'user-content-', 'the prefix rehype-sanitize uses')
  t.same(anchorElementIds('budget'), ['user-content-budget'], 'a slug as written')
  t.same(anchorElementIds('Part Two'), ['user-content-Part Two', 'user-content-part-two'], 'a heading text falls back to its slug')
  t.same(anchorElementIds('user-content-fn-1'), ['user-content-fn-1'], 'an already prefixed id is not prefixed twice')
  t.same(anchorElementIds('main'), ['user-content-main'], 'the app’s own ids (like #main) are never targets')
  t.same(anchorElementIds('???'), ['user-content-???'], 'nothing empty')
})
