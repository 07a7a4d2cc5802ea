/**
 * Toasts: short notices in the corner. Plain ones go after 6 s. A download's notice follows the download (the
 * store's copy of it): "Downloading…" while it runs, then what became of it, and goes a few seconds after that; it
 * goes at once on the Downloads screen (which says the same) and when the user moves on after it settled.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { toBridgeError, type Download } from '@flashback/protocol'
import { type AppServices, type Toast } from '../app-context.js'
import { describeDownloadNotice, settledNoticeMs } from '../lib/download-notice.js'
import { routeToHash, type Route } from '../lib/route.js'
import { type AppStore, useAppState } from '../state/store.js'
import { Icon } from './icon.js'

const plainToastMs = 6000
const maxToasts = 4

/** Where the user is, for "moved on" (a fragment of the same file is not a move). */
const placeOf = (route: Route): string => (route.name === 'peer' ? routeToHash({ ...route, anchor: undefined }) : routeToHash(route))

export function useToasts(store: AppStore, route: Route) {
  const [toasts, setToasts] = useState<Toast[]>([])
  const seq = useRef(0)
  const timers = useRef(new Map<number, ReturnType<typeof setTimeout>>())
  const settled = useRef(new Set<number>())
  const downloads = useAppState(store, (s) => s.downloads)

  const dismiss = useCallback((id: number) => {
    clearTimeout(timers.current.get(id))
    timers.current.delete(id)
    settled.current.delete(id)
    setToasts((list) => list.filter((x) => x.id !== id))
  }, [])
  const expireIn = useCallback(
    (id: number, ms: number) => {
      clearTimeout(timers.current.get(id))
      timers.current.set(id, setTimeout(() => dismiss(id), ms))
    },
    [dismiss],
  )
  const add = useCallback((toast: Omit<Toast, 'id'>): number => {
    const id = ++seq.current
    setToasts((list) => [...list.slice(-(maxToasts - 1)), { ...toast, id }])
    return id
  }, [])

  const toast = useCallback<AppServices['toast']>(
    (text, tone = 'info', action) => expireIn(add(action ? { text, tone, action } : { text, tone }), plainToastMs),
    [add, expireIn],
  )
  const downloadStarted = useCallback<AppServices['downloadStarted']>(
    (download) => {
      // One notice per download: starting it again replaces the old one.
      setToasts((list) => list.filter((x) => x.download?.id !== download.id))
      add({ text: '', tone: 'info', download })
    },
    [add],
  )

  const current = useCallback((t: Toast): Download | undefined => (t.download ? (downloads.find((d) => d.id === t.download?.id) ?? t.download) : undefined), [downloads])

  // A download notice whose download stopped moving goes after a while.
  useEffect(() => {
    for (const t of toasts) {
      const d = current(t)
      if (!d || d.state === 'running' || settled.current.has(t.id)) continue
      settled.current.add(t.id)
      expireIn(t.id, settledNoticeMs[d.state])
    }
  }, [toasts, current, expireIn])

  // Moving on: the Downloads screen shows every download, and a settled notice has said what it had to.
  const place = placeOf(route)
  const lastPlace = useRef(place)
  useEffect(() => {
    if (lastPlace.current === place) return
    lastPlace.current = place
    for (const t of toasts) {
      if (!t.download) continue
      if (route.name === 'downloads' || settled.current.has(t.id)) dismiss(t.id)
    }
  }, [place, route.name, toasts, dismiss])

  useEffect(() => {
    const all = timers.current
    return () => {
      for (const timer of all.values()) clearTimeout(timer)
      all.clear()
    }
  }, [])

  const views = useMemo(() => toasts.map((t) => ({ toast: t, download: current(t) })), [toasts, current])
  return { toast, downloadStarted, dismiss, views }
}

export function ToastRegion({
  views,
  onDismiss,
  canReveal,
  onReveal,
}: {
  views: { toast: Toast; download: Download | undefined }[]
  onDismiss: (id: number) => void
  canReveal: boolean
  onReveal: (download: Download) => Promise<unknown>
}) {
  return (
    <div className="toasts" role="status" aria-live="polite">
      {views.map(({ toast: t, download: d }) =>
        d ? (
          <DownloadToast key={t.id} download={d} canReveal={canReveal} onReveal={onReveal} onDismiss={() => onDismiss(t.id)} />
        ) : (
          <div key={t.id} className={`toast toast--${t.tone}`}>
            <span>{t.text}</span>
            {t.action ? (
              <a href={t.action.href} className="toast__action">
                {t.action.label}
              </a>
            ) : null}
            <DismissButton onDismiss={() => onDismiss(t.id)} />
          </div>
        ),
      )}
    </div>
  )
}

function DownloadToast({ download: d, canReveal, onReveal, onDismiss }: { download: Download; canReveal: boolean; onReveal: (d: Download) => Promise<unknown>; onDismiss: () => void }) {
  const notice = describeDownloadNotice(d)
  const [revealError, setRevealError] = useState<string | null>(null)
  return (
    <div className={`toast toast--${notice.tone} toast--download`}>
      <Icon name={d.state === 'completed' ? 'check' : d.state === 'failed' ? 'alert' : d.state === 'cancelled' ? 'close' : 'download'} size={16} className="toast__icon" />
      <span className="toast__text">
        {notice.text}
        {notice.percent !== null ? (
          // Visible progress only: announcing every percent would drown the live region.
          <span className="toast__percent" aria-hidden="true">
            {' '}
            {notice.percent}%
          </span>
        ) : null}
        {revealError ? <span className="toast__detail">{revealError}</span> : null}
      </span>
      <span className="toast__actions">
        {d.state === 'completed' && canReveal ? (
          <button
            type="button"
            className="toast__action toast__action--button"
            aria-label={`Show ${d.name} in its folder`}
            onClick={() => void onReveal(d).catch((e: unknown) => setRevealError(toBridgeError(e).message))}
          >
            Show in folder
          </button>
        ) : null}
        <a href={routeToHash({ name: 'downloads' })} className="toast__action">
          Show downloads
        </a>
      </span>
      <DismissButton onDismiss={onDismiss} />
    </div>
  )
}

function DismissButton({ onDismiss }: { onDismiss: () => void }) {
  return (
    <button type="button" className="toast__close" onClick={onDismiss} aria-label="Dismiss">
      <Icon name="close" size={14} />
    </button>
  )
}
