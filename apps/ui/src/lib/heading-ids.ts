/**
 * Heading ids for markdown from peers, so `#part` and `other.md#part` links can scroll to a heading.
 *
 * `rehypeHeadingIds` runs before rehype-sanitize and gives every heading without an id a GitHub-style slug of its
 * text (`## Part two` → `part-two`, repeats → `part-two-1`, …). rehype-sanitize then clobbers every id with
 * `user-content-`, so a peer's document can never take over an id the app itself uses; `anchorElementIds` says which
 * ids a fragment may point at after that.
 */

/** The clobber prefix rehype-sanitize's default (GitHub) schema puts before ids and names. */
export const clobberPrefix = 'user-content-'

/** GitHub's slug of a heading text: lower case, punctuation dropped, spaces become dashes. */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\s-]/gu, '')
    .replace(/\s/g, '-')
}

/** Unique slugs within one document: the second `Notes` is `notes-1`, like GitHub. */
export function createSlugger(): (text: string) => string {
  const occurrences = new Map<string, number>()
  return (text) => {
    const original = slugify(text)
    let slug = original
    while (occurrences.has(slug)) {
      const n = (occurrences.get(original) ?? 0) + 1
      occurrences.set(original, n)
      slug = `${original}-${n}`
    }
    occurrences.set(slug, 0)
    return slug
  }
}

/** The few hast shapes this step reads (hast's own types are not a dependency of the UI). */
interface HastNode {
  type: string
  tagName?: string
  value?: string
  properties?: Record<string, unknown>
  children?: HastNode[]
}

const headingTag = /^h[1-6]$/

function textOf(node: HastNode): string {
  if (node.type === 'text') return node.value ?? ''
  return (node.children ?? []).map(textOf).join('')
}

/** A unified (rehype) plugin: slug ids on headings that have none. Place it before rehype-sanitize. */
export function rehypeHeadingIds() {
  return (tree: HastNode): void => {
    const slug = createSlugger()
    const visit = (node: HastNode) => {
      if (node.type === 'element' && node.tagName && headingTag.test(node.tagName)) {
        const props = (node.properties ??= {})
        if (props.id === undefined || props.id === null || props.id === '') {
          const id = slug(textOf(node))
          if (id !== '') props.id = id
        }
      }
      for (const child of node.children ?? []) visit(child)
    }
    visit(tree)
  }
}

/**
 * The element ids a link fragment may mean once sanitised, most exact first: the fragment as written (`#part-two`,
 * `#fn-1` of a footnote), then the slug of it (`#Part Two`). Never an id outside the document's own namespace.
 */
export function anchorElementIds(fragment: string): string[] {
  const bare = fragment.startsWith(clobberPrefix) ? fragment.slice(clobberPrefix.length) : fragment
  const ids = [`${clobberPrefix}${bare}`, `${clobberPrefix}${slugify(bare)}`]
  return [...new Set(ids)].filter((id) => id !== clobberPrefix)
}
