/** My house: my status (am I findable?) and my shared folder as visitors see it. */
import { useCallback, useState } from 'react'
import { type FileEntry, type Status } from '@flashback/protocol'
import { useServices } from '../app-context.js'
import { Breadcrumbs } from '../components/breadcrumbs.js'
import { FileList } from '../components/file-list.js'
import { Icon } from '../components/icon.js'
import { PathText } from '../components/path-text.js'
import { ScreenHeader } from '../components/screen-header.js'
import { EmptyState, ErrorState, Loading } from '../components/states.js'
import { useListing } from '../components/use-listing.js'
import { formatDate, formatFingerprint, formatRelativeTime, plural } from '../lib/format.js'
import { baseName, breadcrumbs, parentPath } from '../lib/paths.js'
import { routeToHash } from '../lib/route.js'
import { describeRegistration } from '../lib/status-text.js'
import { useAppState } from '../state/store.js'

export function HouseScreen({ path }: { path: string }) {
  const { store } = useServices()
  const status = useAppState(store, (s) => s.status)
  const settings = useAppState(store, (s) => s.settings)
  return (
    <section className="screen" aria-labelledby="house-title">
      <ScreenHeader
        titleId="house-title"
        title="My house"
        subtitle={
          settings ? (
            <>
              <span className="screen__subtitle-label">Sharing</span> <PathText path={settings.shareRoot} />
            </>
          ) : (
            'Not set up yet'
          )
        }
        actions={
          <a className="button button--ghost" href={routeToHash({ name: 'settings' })}>
            <Icon name="settings" size={16} /> Settings
          </a>
        }
      />
      {status ? <StatusPanel status={status} /> : null}
      <MyFiles path={path} />
    </section>
  )
}

export function StatusPanel({ status }: { status: Status }) {
  const look = describeRegistration(status)
  const [showErrors, setShowErrors] = useState(false)
  const addresses = status.server ? status.server.addresses.map((a) => (a.includes(':') ? `[${a}]` : a)).map((a) => `${a}:${status.server?.port}`) : []
  return (
    <section className={`status-panel status-panel--${look.tone}`} aria-label="Sharing status">
      <div className="status-panel__main">
        <span className={`status-dot status-dot--${look.tone}`} aria-hidden="true" />
        <div>
          <p className="status-panel__title">{look.title}</p>
          <p className="status-panel__detail">{look.detail}</p>
        </div>
      </div>
      <dl className="facts">
        <div>
          <dt>E-mail</dt>
          <dd>{status.email ?? '—'}</dd>
        </div>
        <div>
          <dt>Last heartbeat</dt>
          <dd title={status.lastHeartbeat ?? undefined}>{formatRelativeTime(status.lastHeartbeat)}</dd>
        </div>
        <div>
          <dt>Listening on</dt>
          <dd>{addresses.length ? addresses.join(', ') : 'not listening'}</dd>
        </div>
        <div className="facts__wide">
          <dt>My fingerprint</dt>
          <dd>
            <code className="fingerprint">{status.fingerprint ? formatFingerprint(status.fingerprint) : '—'}</code>
          </dd>
        </div>
      </dl>
      {status.errors.length > 0 ? (
        <div className="status-panel__errors">
          <button type="button" className="link-button" aria-expanded={showErrors} onClick={() => setShowErrors((v) => !v)}>
            {showErrors ? 'Hide' : 'Show'} recent problems ({status.errors.length})
          </button>
          {showErrors ? (
            <ul className="error-log" aria-label="Recent problems">
              {[...status.errors].reverse().map((e, i) => (
                <li key={`${e.at}-${i}`}>
                  <time dateTime={e.at}>{formatDate(e.at)}</time>
                  <span className="tag">{e.source}</span>
                  <span>{e.message}</span>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  )
}

function MyFiles({ path }: { path: string }) {
  const { api, navigate } = useServices()
  const load = useCallback(
    (cursor: string | undefined, limit: number) => api.listMyFiles(cursor ? { path, cursor, limit } : { path, limit }),
    [api, path],
  )
  const listing = useListing(`me\n${path}`, load)
  const hrefFor = useCallback((e: FileEntry) => (e.type === 'directory' ? routeToHash({ name: 'house', path: e.path }) : null), [])
  const crumbHref = useCallback((p: string) => routeToHash({ name: 'house', path: p }), [])
  const folderName = path === '' ? 'my house' : baseName(path)
  return (
    <section className="my-files" aria-label="My shared files">
      <div className="my-files__bar">
        <Breadcrumbs crumbs={breadcrumbs(path, 'My shared folder')} hrefFor={crumbHref} label="Location in my house" />
        {listing.phase === 'ready' ? (
          <span className="folder-view__summary">
            {plural(listing.entries.length, 'item')}
            {listing.hasMore ? ' so far' : ''}
          </span>
        ) : null}
      </div>
      {listing.phase === 'loading' ? (
        <Loading label="Reading your shared folder…" />
      ) : listing.phase === 'error' && listing.error ? (
        <ErrorState
          title={listing.error.code === 'not_a_directory' ? 'This is a file, not a folder' : 'Could not read your shared folder'}
          message={listing.error.message}
          onRetry={listing.retry}
        >
          {path !== '' ? <a href={routeToHash({ name: 'house', path: parentPath(path) })}>Back to the folder above</a> : null}
        </ErrorState>
      ) : listing.entries.length === 0 ? (
        <EmptyState title="Your shared folder is empty" icon="house">
          Put files in your shared folder and visitors will see them here.
        </EmptyState>
      ) : (
        <FileList
          entries={listing.entries}
          label={`Files in ${folderName}`}
          hrefFor={hrefFor}
          hasMore={listing.hasMore}
          loadingMore={listing.loadingMore}
          onLoadMore={listing.loadMore}
          onParent={path === '' ? undefined : () => navigate({ name: 'house', path: parentPath(path) })}
        />
      )}
    </section>
  )
}
