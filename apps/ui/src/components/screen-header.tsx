import { type ReactNode } from 'react'

/** A screen's title (the `h1` focus moves to on navigation, labelling the screen), its subtitle and actions. */
export function ScreenHeader({ titleId, title, subtitle, actions }: { titleId: string; title: string; subtitle: ReactNode; actions?: ReactNode }) {
  return (
    <header className="screen__header">
      <div className="screen__heading">
        <h1 id={titleId} className="screen__title">
          {title}
        </h1>
        <p className="screen__subtitle">{subtitle}</p>
      </div>
      {actions}
    </header>
  )
}
