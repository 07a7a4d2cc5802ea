/** Downloads with progress, cancel, resume and "show in folder". */
import { useState, type ReactNode } from 'react'
import { toBridgeError, type Download } from '@flashback/protocol'
import { useServices } from '../app-context.js'
import { Icon } from '../components/icon.js'
import { PathText } from '../components/path-text.js'
import { ScreenHeader } from '../components/screen-header.js'
import { ProgressBar } from '../components/progress-bar.js'
import { EmptyState } from '../components/states.js'
import { formatBytes, formatProgress, formatRelativeTime } from '../lib/format.js'
import { routeToHash } from '../lib/route.js'
import { parentPath } from '../lib/paths.js'
import { useAppState } from '../state/store.js'

const stateLabel: Record<Download['state'], string> = {
  running: 'Downloading',
  completed: 'Done',
  cancelled: 'Cancelled',
  failed: 'Failed',
}

export function DownloadsScreen() {
  const { store } = useServices()
  const downloads = useAppState(store, (s) => s.downloads)
  const info = useAppState(store, (s) => s.info)
  return (
    <section className="screen" aria-labelledby="downloads-title">
      <ScreenHeader
        titleId="downloads-title"
        title="Downloads"
        subtitle={
          info?.downloadsFolder ? (
            <>
              <span className="screen__subtitle-label">Saved in</span> <PathText path={info.downloadsFolder} />
            </>
          ) : (
            'Files you download from peers'
          )
        }
      />
      {downloads.length === 0 ? (
        <EmptyState icon="download" title="No downloads yet">
          Visit a peer and pick a file to download it. Interrupted downloads can be resumed.
        </EmptyState>
      ) : (
        <ul className="download-list" aria-label="Downloads">
          {downloads.map((d) => (
            <DownloadRow key={d.id} download={d} canReveal={info?.canReveal ?? false} />
          ))}
        </ul>
      )}
    </section>
  )
}

function DownloadRow({ download: d, canReveal }: { download: Download; canReveal: boolean }) {
  const { api, toast } = useServices()
  const [busy, setBusy] = useState(false)
  const progress = formatProgress(d.received, d.total, d.state === 'running' ? d.bytesPerSecond : undefined)
  const act = (fn: () => Promise<unknown>) => async () => {
    setBusy(true)
    try {
      await fn()
    } catch (e) {
      toast(toBridgeError(e).message, 'bad')
    } finally {
      setBusy(false)
    }
  }
  // Only the actions this download has: a row without any lets its progress bar run the full width.
  const actions: ReactNode[] = []
  if (d.state === 'running')
    actions.push(
      <button key="cancel" type="button" className="button button--small button--ghost" disabled={busy} onClick={act(() => api.cancelDownload({ id: d.id }))} aria-label={`Cancel download of ${d.name}`}>
        <Icon name="close" size={15} /> Cancel
      </button>,
    )
  if (d.state === 'cancelled' || d.state === 'failed')
    actions.push(
      <button key="resume" type="button" className="button button--small" disabled={busy} onClick={act(() => api.resumeDownload({ id: d.id }))} aria-label={`Resume download of ${d.name}`}>
        <Icon name="play" size={15} /> Resume
      </button>,
    )
  if (d.state === 'completed' && canReveal)
    actions.push(
      <button key="reveal" type="button" className="button button--small button--ghost" disabled={busy} onClick={act(() => api.revealDownload({ id: d.id }))} aria-label={`Show ${d.name} in its folder`}>
        <Icon name="reveal" size={15} /> Show in folder
      </button>,
    )
  const tone = d.state === 'failed' ? 'bad' : d.state === 'completed' ? 'ok' : d.state === 'cancelled' ? 'muted' : 'accent'
  return (
    <li className={`download-row download-row--${d.state}`} aria-label={d.name}>
      <span className="download-row__icon" aria-hidden="true">
        <Icon name={d.state === 'completed' ? 'check' : d.state === 'failed' ? 'alert' : 'download'} size={20} />
      </span>
      <div className="download-row__main">
        <div className="download-row__top">
          <span className="download-row__name">{d.name}</span>
          <span className={`download-row__state download-row__state--${d.state}`}>{stateLabel[d.state]}</span>
        </div>
        <ProgressBar percent={d.state === 'completed' ? 100 : progress.percent} label={`${stateLabel[d.state]} ${d.name}`} tone={tone} />
        <div className="download-row__meta">
          <span>{d.state === 'completed' ? formatBytes(d.received) : progress.amount}</span>
          {progress.percent !== null && d.state !== 'completed' ? <span>{progress.percent}%</span> : null}
          {progress.speed ? <span>{progress.speed}</span> : null}
          <span>
            from{' '}
            <a href={routeToHash({ name: 'peer', email: d.email, path: parentPath(d.path) })} title={`${d.email}: ${d.path}`}>
              {d.email}
            </a>
          </span>
          <span>{formatRelativeTime(d.updatedAt)}</span>
        </div>
        {d.state === 'completed' ? (
          <p className="download-row__file">
            <span className="download-row__file-label">Saved as</span> <PathText path={d.file} />
          </p>
        ) : null}
        {d.error ? (
          <p className="download-row__error" role="alert">
            {d.error}
          </p>
        ) : null}
      </div>
      {actions.length > 0 ? <div className="download-row__actions">{actions}</div> : null}
    </li>
  )
}
