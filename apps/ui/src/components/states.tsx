/** Loading, empty and error states: every screen uses these so they look and read the same. */
import { type ReactNode } from 'react'
import { Icon, type IconName } from './icon.js'

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state--loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  )
}

export function EmptyState({ icon = 'folder', title, children }: { icon?: IconName; title: string; children?: ReactNode }) {
  return (
    <div className="state state--empty">
      <span className="state__icon" aria-hidden="true">
        <Icon name={icon} size={28} />
      </span>
      <p className="state__title">{title}</p>
      {children ? <div className="state__body">{children}</div> : null}
    </div>
  )
}

export function ErrorState({
  title,
  message,
  onRetry,
  children,
}: {
  title: string
  message?: string
  onRetry?: () => void
  children?: ReactNode
}) {
  return (
    <div className="state state--error" role="alert">
      <span className="state__icon" aria-hidden="true">
        <Icon name="alert" size={28} />
      </span>
      <p className="state__title">{title}</p>
      {message ? <p className="state__body">{message}</p> : null}
      {children}
      {onRetry ? (
        <button type="button" className="button" onClick={onRetry}>
          <Icon name="refresh" size={16} /> Try again
        </button>
      ) : null}
    </div>
  )
}
