/**
 * A local path split for display with the ellipsis in the middle: the head may be cut, the last name stays
 * (`/home/bob/…/very-long/share` still shows `share`). Paths come from this computer: `/` or `\` separated.
 */
export function splitPathForDisplay(path: string): { head: string; tail: string } {
  const trimmed = path.replace(/[/\\]+$/, '')
  const at = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'))
  if (at <= 0) return { head: '', tail: path }
  return { head: path.slice(0, at), tail: path.slice(at) }
}
