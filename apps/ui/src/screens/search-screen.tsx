/**
 * Searching the tracker's file registry (what peers publish) by part of a file name or by SHA-256. The term lives
 * in the hash route, so a search survives a reload and Back. Results come a page at a time, online owners first;
 * an online owner's result opens their house at the file's folder or downloads it, an offline owner's says so.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react'
import { toBridgeError, type BridgeError, type SearchResult } from '@flashback/protocol'
import { useServices } from '../app-context.js'
import { Icon } from '../components/icon.js'
import { PeerStatusBadge } from '../components/peer-status.js'
import { ScreenHeader } from '../components/screen-header.js'
import { EmptyState, ErrorState, Loading } from '../components/states.js'
import { formatBytes, plural } from '../lib/format.js'
import { routeToHash, type SearchBy } from '../lib/route.js'
import { appendResults, resultFolderRoute, searchArgs, searchProblem, shortHash } from '../lib/search.js'
import { useAppState } from '../state/store.js'

const PAGE = 50

interface Found {
  phase: 'idle' | 'searching' | 'ready' | 'error'
  results: SearchResult[]
  nextCursor?: string
  error?: BridgeError
  loadingMore?: boolean
  moreError?: string
}

export function SearchScreen({ by = 'name', q = '' }: { by?: SearchBy | undefined; q?: string | undefined }) {
  const { api, navigate } = useServices()
  const [found, setFound] = useState<Found>({ phase: 'idle', results: [] })
  const [attempt, setAttempt] = useState(0)
  const seq = useRef(0)
  const problem = q ? searchProblem(by, q) : null

  useEffect(() => {
    const id = ++seq.current
    if (!q || problem) {
      setFound({ phase: 'idle', results: [] })
      return
    }
    setFound({ phase: 'searching', results: [] })
    api
      .searchFiles(searchArgs(by, q, { limit: PAGE }))
      .then((reply) => {
        if (id !== seq.current) return
        setFound(reply.nextCursor ? { phase: 'ready', results: reply.results, nextCursor: reply.nextCursor } : { phase: 'ready', results: reply.results })
      })
      .catch((e: unknown) => id === seq.current && setFound({ phase: 'error', results: [], error: toBridgeError(e) }))
  }, [api, by, q, problem, attempt])

  const loadMore = () => {
    const cursor = found.nextCursor
    if (!cursor || found.loadingMore) return
    const id = seq.current
    setFound((f) => ({ ...f, loadingMore: true, moreError: undefined }))
    api
      .searchFiles(searchArgs(by, q, { limit: PAGE, cursor }))
      .then((reply) => {
        if (id !== seq.current) return
        setFound((f) => {
          const next: Found = { phase: 'ready', results: appendResults(f.results, reply.results) }
          if (reply.nextCursor) next.nextCursor = reply.nextCursor
          return next
        })
      })
      .catch((e: unknown) => id === seq.current && setFound((f) => ({ ...f, loadingMore: false, moreError: toBridgeError(e).message })))
  }

  return (
    <section className="screen" aria-labelledby="search-title">
      <ScreenHeader titleId="search-title" title="Search" subtitle="Files your peers publish on the tracker, by name or by content." />
      <SearchForm
        by={by}
        q={q}
        onSearch={(nextBy, text) => {
          const route = { name: 'search' as const, by: nextBy, q: text }
          // The same search again (after an error, or to refresh) runs again.
          if (routeToHash(route) === routeToHash({ name: 'search', by, q })) setAttempt((a) => a + 1)
          else navigate(route)
        }}
      />
      <PublishingHint />
      <Results found={found} by={by} q={q} onRetry={() => setAttempt((a) => a + 1)} onMore={loadMore} />
    </section>
  )
}

function SearchForm({ by, q, onSearch }: { by: SearchBy; q: string; onSearch: (by: SearchBy, text: string) => void }) {
  const [mode, setMode] = useState<SearchBy>(by)
  const [text, setText] = useState(q)
  const [error, setError] = useState<string | null>(null)
  const errorId = useId()
  const inputRef = useRef<HTMLInputElement>(null)
  // A new route (Back, a link) puts its term in the form.
  useEffect(() => {
    setMode(by)
    setText(q)
    setError(null)
  }, [by, q])

  const submit = (e: FormEvent) => {
    e.preventDefault()
    const problem = searchProblem(mode, text)
    if (problem) {
      setError(problem)
      inputRef.current?.focus()
      return
    }
    setError(null)
    onSearch(mode, mode === 'name' ? text.trim() : text.replace(/[\s:]/g, '').toLowerCase())
  }
  const label = mode === 'name' ? 'File name' : 'SHA-256 of the file'
  return (
    <form className="search-form" role="search" aria-label="Search files" onSubmit={submit} noValidate>
      <div className="segmented" role="group" aria-label="Search by">
        {(['name', 'sha256'] as const).map((m) => (
          <button
            key={m}
            type="button"
            className="segmented__item"
            aria-pressed={mode === m}
            onClick={() => {
              setMode(m)
              setError(null)
              inputRef.current?.focus()
            }}
          >
            {m === 'name' ? 'Name' : 'SHA-256'}
          </button>
        ))}
      </div>
      <label className="field search-form__field">
        <span className="visually-hidden">{label}</span>
        <input
          ref={inputRef}
          type="text"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={mode === 'name' ? 'Part of a file name, like harbour or .pdf' : '64 hexadecimal digits'}
          className={mode === 'sha256' ? 'mono' : undefined}
          spellCheck={false}
          autoComplete="off"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
        />
      </label>
      <button type="submit" className="button button--primary">
        <Icon name="search" size={16} /> Search
      </button>
      {error ? (
        <p className="field__error search-form__error" id={errorId} role="alert">
          {error}
        </p>
      ) : null}
    </form>
  )
}

/** When my own files are not published, say so where people look for files. */
function PublishingHint() {
  const { store } = useServices()
  const publishing = useAppState(store, (s) => s.publishing)
  if (!publishing || publishing.enabled) return null
  return (
    <p className="search-hint">
      <Icon name="alert" size={16} /> Your own files are not published, so others cannot find them here.{' '}
      <a href={routeToHash({ name: 'settings' })}>Publish my shared files</a>
    </p>
  )
}

function Results({ found, by, q, onRetry, onMore }: { found: Found; by: SearchBy; q: string; onRetry: () => void; onMore: () => void }) {
  if (found.phase === 'idle') {
    return (
      <EmptyState icon="search" title="Find a file among your peers">
        Search by part of its name, or paste its SHA-256 to find every copy of exactly that file. Peers who are online
        come first; you can visit their house or download the file at once.
      </EmptyState>
    )
  }
  if (found.phase === 'searching') return <Loading label="Searching the tracker…" />
  if (found.phase === 'error' && found.error) {
    const unreachable = ['unavailable', 'unreachable', 'transport_error'].includes(found.error.code)
    return <ErrorState title={unreachable ? 'The tracker cannot be reached' : 'The search failed'} message={found.error.message} onRetry={onRetry} />
  }
  if (found.results.length === 0) {
    return (
      <EmptyState icon="search" title="No files found">
        {by === 'name' ? `Nobody publishes a file whose name contains “${q}”.` : 'Nobody publishes a file with this SHA-256.'} Only files
        their owners chose to publish can be found.
      </EmptyState>
    )
  }
  const online = found.results.filter((r) => r.online).length
  return (
    <div className="search-results">
      <p className="search-results__summary" role="status">
        {plural(found.results.length, 'result')}
        {found.nextCursor ? ' so far' : ''} · {online.toLocaleString('en-US')} online
      </p>
      <ul className="result-list" aria-label="Search results">
        {found.results.map((r) => (
          <ResultRow key={`${r.email}\n${r.path}`} result={r} />
        ))}
      </ul>
      {found.moreError ? (
        <p className="preview-note" role="alert">
          Could not load more results: {found.moreError}
        </p>
      ) : null}
      {found.nextCursor ? (
        <button type="button" className="button search-results__more" onClick={onMore} disabled={found.loadingMore}>
          {found.loadingMore ? 'Loading…' : 'Show more results'}
        </button>
      ) : null}
    </div>
  )
}

function ResultRow({ result: r }: { result: SearchResult }) {
  const { api, toast, downloadStarted } = useServices()
  const nameId = useId()
  const [busy, setBusy] = useState(false)
  const owner = r.mine ? 'you' : r.email
  const download = async () => {
    setBusy(true)
    try {
      downloadStarted(await api.startDownload({ email: r.email, path: r.path }))
    } catch (e) {
      toast(`Could not download ${r.name}: ${toBridgeError(e).message}`, 'bad')
    } finally {
      setBusy(false)
    }
  }
  return (
    <li className={`result-row${r.online ? '' : ' result-row--offline'}`} aria-labelledby={nameId}>
      <span className="result-row__icon" aria-hidden="true">
        <Icon name="file" size={20} />
      </span>
      <div className="result-row__what">
        <span className="result-row__name" id={nameId}>
          {r.name}
          <span className="visually-hidden"> from {owner}</span>
        </span>
        <span className="result-row__detail">
          <span className="result-row__owner">{r.mine ? 'You' : r.email}</span>
          <code className="result-row__path" title={r.path}>
            {r.path}
          </code>
        </span>
        <span className="result-row__hash">
          <code title={r.sha256} aria-label={`SHA-256 ${r.sha256}`}>
            {shortHash(r.sha256)}
          </code>
          <a href={routeToHash({ name: 'search', by: 'sha256', q: r.sha256 })} aria-label={`Find every copy of ${r.name}`}>
            every copy
          </a>
        </span>
      </div>
      <span className="result-row__size">{formatBytes(r.size)}</span>
      <PeerStatusBadge peer={{ status: r.online ? 'online' : 'offline' }} />
      <div className="result-row__actions">
        {r.online || r.mine ? (
          <>
            <a className="button button--small" href={routeToHash(resultFolderRoute(r))} aria-label={`Open the folder of ${r.name} in ${r.mine ? 'my house' : `${r.email}’s house`}`}>
              <Icon name="folder" size={15} /> Open folder
            </a>
            {r.mine ? null : (
              <button type="button" className="button button--small button--primary" onClick={download} disabled={busy} aria-label={`Download ${r.name} from ${r.email}`}>
                <Icon name="download" size={15} /> Download
              </button>
            )}
          </>
        ) : (
          <span className="result-row__note">Available when {r.email} is online</span>
        )}
      </div>
    </li>
  )
}
