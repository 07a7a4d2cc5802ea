/**
 * Markdown from a peer, rendered without raw HTML (skipped, then the tree sanitised). Links are decided by
 * resolveMarkdownLink: relative ones open inside the same house, http(s) ones ask first, anything else is inert.
 * Only images from the same house are loaded.
 */
import Markdown, { defaultUrlTransform, type Components } from 'react-markdown'
import rehypeSanitize from 'rehype-sanitize'
import remarkGfm from 'remark-gfm'
import { useEffect, useMemo, useRef, type MouseEvent } from 'react'
import { anchorElementIds, rehypeHeadingIds } from '../lib/heading-ids.js'
import { resolveMarkdownImage, resolveMarkdownLink } from '../lib/links.js'
import { Icon } from './icon.js'

export interface MarkdownViewProps {
  text: string
  /** The markdown file's path in the house (links resolve against its folder). */
  filePath: string
  /** Where an in-house path leads (a hash route), optionally scrolled to a fragment of it. */
  hrefForPath: (path: string, anchor?: string) => string
  /** Bytes URL of an in-house image. */
  imageUrl: (path: string) => string
  /** Called when an outside link is clicked: the caller asks before opening. */
  onExternalLink: (url: string) => void
  /** A fragment to scroll to once rendered (from a link like `other.md#part`). */
  anchor?: string
}

// GFM (tables, strikethrough, task lists, autolinks, footnotes); raw HTML is still skipped. Heading ids are added
// before the sanitiser so they get its `user-content-` prefix. Footnote ids are left unprefixed by remark-rehype
// (`clobberPrefix: ''`) because the sanitiser adds the prefix itself, which keeps `#fn-1` links and ids matching.
const remarkPlugins = [remarkGfm]
const rehypePlugins = [rehypeHeadingIds, rehypeSanitize]
const remarkRehypeOptions = { clobberPrefix: '' }

/** The element a fragment means inside `root`, if any (ids are looked up inside the document only). */
export function findAnchor(root: ParentNode, fragment: string): HTMLElement | null {
  for (const id of anchorElementIds(fragment)) {
    const el = root.querySelector<HTMLElement>(`[id="${CSS.escape(id)}"]`)
    if (el) return el
  }
  return null
}

export function MarkdownView({ text, filePath, hrefForPath, imageUrl, onExternalLink, anchor }: MarkdownViewProps) {
  const components = useMemo<Components>(() => {
    return {
      a: ({ href, children, title, id }) => {
        const target = resolveMarkdownLink(href, filePath)
        switch (target.kind) {
          case 'internal':
            return (
              <a href={hrefForPath(target.path, target.hash)} title={title ?? target.path} id={id}>
                {children}
              </a>
            )
          case 'anchor': {
            // A new fragment changes the route, and the anchor effect below scrolls; the one already in the address
            // would change nothing, so that one scrolls here.
            const to = hrefForPath(filePath, target.id)
            const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
              if (location.hash !== to) return
              const root = e.currentTarget.closest('.markdown')
              const el = root ? findAnchor(root, target.id) : null
              if (!el) return
              e.preventDefault()
              el.scrollIntoView({ block: 'start' })
            }
            return (
              <a href={to} onClick={onClick} title={title} id={id}>
                {children}
              </a>
            )
          }
          case 'external': {
            const onClick = (e: MouseEvent) => {
              e.preventDefault()
              onExternalLink(target.url)
            }
            return (
              <a href={target.url} onClick={onClick} rel="noopener noreferrer" className="md-external" title={target.url} id={id}>
                {children}
                <Icon name="external" size={13} className="md-external__icon" />
                <span className="visually-hidden"> (outside link, asks before opening)</span>
              </a>
            )
          }
          case 'refused':
            return (
              <span className="md-refused" title={`Blocked: ${target.reason}`} id={id}>
                {children}
                <span className="visually-hidden"> (blocked link)</span>
              </span>
            )
        }
      },
      img: ({ src, alt, title }) => {
        const local = typeof src === 'string' ? resolveMarkdownImage(src, filePath) : null
        if (!local) {
          return (
            <span className="md-image-blocked" title="Pictures from outside this house are not loaded">
              <Icon name="image" size={16} /> {alt || 'picture'} <small>(outside picture, not loaded)</small>
            </span>
          )
        }
        return <img src={imageUrl(local.path)} alt={alt ?? ''} title={title} loading="lazy" />
      },
    }
  }, [filePath, hrefForPath, imageUrl, onExternalLink])

  const rootRef = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!anchor || !rootRef.current) return
    findAnchor(rootRef.current, anchor)?.scrollIntoView({ block: 'start' })
  }, [anchor, text])

  return (
    <div className="markdown" ref={rootRef}>
      <Markdown
        skipHtml
        remarkPlugins={remarkPlugins}
        remarkRehypeOptions={remarkRehypeOptions}
        rehypePlugins={rehypePlugins}
        urlTransform={defaultUrlTransform}
        components={components}
      >
        {text}
      </Markdown>
    </div>
  )
}
