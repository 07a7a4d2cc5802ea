import { splitPathForDisplay } from '../lib/path-parts.js'

/**
 * A local path on one line: when it does not fit, the middle gives way to an ellipsis and the last name stays.
 * The whole path is the element's text (what screen readers read and what copying takes) and its tooltip.
 */
export function PathText({ path, className }: { path: string; className?: string }) {
  const { head, tail } = splitPathForDisplay(path)
  return (
    <code className={`path path-text${className ? ` ${className}` : ''}`} title={path}>
      {head ? <span className="path-text__head">{head}</span> : null}
      <span className="path-text__tail">{tail}</span>
    </code>
  )
}
