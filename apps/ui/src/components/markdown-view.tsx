/**
 * Markdown from a peer, rendered without raw HTML (skipped, then the tree sanitised). Links are decided by
 * resolveMarkdownLink: relative ones open inside the same house, http(s) ones ask first, anything else is inert.
 * Only images from the same house are loaded.
 */
import Markdown, { defaultUrlTransform, type Components } from 'react-markdown'
import rehypeSanitize from 'rehype-sanitize'
import { Children, isValidElement, useMemo, type MouseEvent, type ReactNode } from 'react'
import { resolveMarkdownImage, resolveMarkdownLink } from '../lib/links.js'
import { Icon } from './icon.js'

export interface MarkdownViewProps {
  text: string
  /** The markdown file's path in the house (links resolve against its folder). */
  filePath: string
  /** Where an in-house path leads (a hash route). */
  hrefForPath: (path: string) => string
  /** Bytes URL of an in-house image. */
  imageUrl: (path: string) => string
  /** Called when an outside link is clicked: the caller asks before opening. */
  onExternalLink: (url: string) => void
}

/** Text content of React children, for heading ids. */
function textOf(children: ReactNode): string {
  let out = ''
  Children.forEach(children, (c) => {
    if (typeof c === 'string' || typeof c === 'number') out += String(c)
    else if (isValidElement<{ children?: ReactNode }>(c)) out += textOf(c.props.children)
  })
  return out
}

export const headingId = (text: string): string =>
  `md-${text
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s+/g, '-')}`

export function MarkdownView({ text, filePath, hrefForPath, imageUrl, onExternalLink }: MarkdownViewProps) {
  const components = useMemo<Components>(() => {
    const heading =
      (Tag: 'h1' | 'h2' | 'h3' | 'h4' | 'h5' | 'h6') =>
      ({ children }: { children?: ReactNode }) => <Tag id={headingId(textOf(children))}>{children}</Tag>
    return {
      h1: heading('h1'),
      h2: heading('h2'),
      h3: heading('h3'),
      h4: heading('h4'),
      h5: heading('h5'),
      h6: heading('h6'),
      a: ({ href, children, title }) => {
        const target = resolveMarkdownLink(href, filePath)
        switch (target.kind) {
          case 'internal':
            return (
              <a href={hrefForPath(target.path)} title={title ?? target.path}>
                {children}
              </a>
            )
          case 'anchor': {
            const onClick = (e: MouseEvent) => {
              e.preventDefault()
              const el = document.getElementById(headingId(target.id))
              el?.scrollIntoView({ block: 'start' })
            }
            return (
              <a href={`#${encodeURIComponent(target.id)}`} onClick={onClick} title={title}>
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
              <a href={target.url} onClick={onClick} rel="noopener noreferrer" className="md-external" title={target.url}>
                {children}
                <Icon name="external" size={13} className="md-external__icon" />
                <span className="visually-hidden"> (outside link, asks before opening)</span>
              </a>
            )
          }
          case 'refused':
            return (
              <span className="md-refused" title={`Blocked: ${target.reason}`}>
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

  return (
    <div className="markdown">
      <Markdown skipHtml rehypePlugins={[rehypeSanitize]} urlTransform={defaultUrlTransform} components={components}>
        {text}
      </Markdown>
    </div>
  )
}
