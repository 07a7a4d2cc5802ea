import { type Crumb } from '../lib/paths.js'
import { Icon } from './icon.js'

/** A breadcrumb trail; the last crumb is the current place (not a link). */
export function Breadcrumbs({ crumbs, hrefFor, label = 'Breadcrumb' }: { crumbs: Crumb[]; hrefFor: (path: string) => string; label?: string }) {
  return (
    <nav className="breadcrumbs" aria-label={label}>
      <ol>
        {crumbs.map((c, i) => {
          const last = i === crumbs.length - 1
          return (
            <li key={c.path}>
              {last ? (
                <span aria-current="page">
                  {i === 0 ? <Icon name="house" size={15} /> : null}
                  {c.label}
                </span>
              ) : (
                <a href={hrefFor(c.path)}>
                  {i === 0 ? <Icon name="house" size={15} /> : null}
                  {c.label}
                </a>
              )}
            </li>
          )
        })}
      </ol>
    </nav>
  )
}
