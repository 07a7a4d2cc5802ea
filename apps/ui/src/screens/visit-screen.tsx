/** Visiting a peer's house: folders with breadcrumbs, files with a preview and a download button. */
import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react'
import { toBridgeError, type BridgeError, type FileEntry, type PeerView, type RemoteTextReply } from '@flashback/protocol'
import { useServices } from '../app-context.js'
import { Breadcrumbs } from '../components/breadcrumbs.js'
import { ConfirmDialog } from '../components/confirm-dialog.js'
import { FileList } from '../components/file-list.js'
import { Icon } from '../components/icon.js'
import { MarkdownView } from '../components/markdown-view.js'
import { Avatar, PeerStatusBadge } from '../components/peer-status.js'
import { ImageView, MediaView, NoPreview, TextView } from '../components/previews.js'
import { EmptyState, ErrorState, Loading } from '../components/states.js'
import { useListing } from '../components/use-listing.js'
import { knownEntry, rememberEntries } from '../lib/entry-cache.js'
import { formatBytes, formatRelativeTime, plural } from '../lib/format.js'
import { baseName, breadcrumbs, parentPath } from '../lib/paths.js'
import { describeType, previewKind } from '../lib/preview.js'
import { routeToHash } from '../lib/route.js'
import { peerName } from '../state/app-state.js'
import { useAppState } from '../state/store.js'

/** Words for errors met while visiting. */
export function describeVisitError(err: BridgeError, who: string): { title: string; message: string } {
  switch (err.code) {
    case 'not_online':
    case 'unreachable':
    case 'unavailable':
      return { title: `${who} is not reachable`, message: err.message }
    case 'forbidden':
      return { title: `${who} does not let you in`, message: `${err.message} Their house may be open to friends only.` }
    case 'certificate_mismatch':
      return { title: 'Not connecting: certificate mismatch', message: err.message }
    case 'not_found':
      return { title: 'Nothing here', message: err.message }
    case 'transport_error':
      return { title: 'Flashback is not answering', message: err.message }
    default:
      return { title: 'Something went wrong', message: err.message }
  }
}

export function VisitScreen({ email, path, anchor }: { email: string; path: string; anchor?: string }) {
  const { store } = useServices()
  const peer = useAppState(store, (s) => s.peers?.find((p) => p.email.toLowerCase() === email.toLowerCase()))
  const who = peer ? peerName(peer) : email
  const cached = path === '' ? undefined : knownEntry(email, path)
  // Unknown paths are tried as folders first; a "not a directory" answer turns the view into a file preview.
  const [fileFallback, setFileFallback] = useState<string | null>(null)
  const isFile = cached ? cached.type === 'file' : fileFallback === `${email}\n${path}`
  const crumbs = breadcrumbs(path, who)
  const hrefFor = useCallback((p: string) => routeToHash({ name: 'peer', email, path: p }), [email])

  return (
    <section className="screen screen--visit" aria-labelledby="visit-title">
      <PeerHeader email={email} peer={peer} />
      <Breadcrumbs crumbs={crumbs} hrefFor={hrefFor} label={`Location in ${who}’s house`} />
      {isFile ? (
        <FileView email={email} path={path} entry={cached} who={who} anchor={anchor} />
      ) : (
        <FolderView email={email} path={path} who={who} onNotAFolder={() => setFileFallback(`${email}\n${path}`)} />
      )}
    </section>
  )
}

function PeerHeader({ email, peer }: { email: string; peer: PeerView | undefined }) {
  const { api, toast } = useServices()
  const [busy, setBusy] = useState(false)
  const name = peer ? peerName(peer) : email
  const toggleFriend = async () => {
    setBusy(true)
    try {
      if (peer?.friend) {
        await api.removeFriend({ email })
        toast(`${email} is no longer a friend.`)
      } else {
        await api.addFriend({ email })
        toast(`${email} is now a friend.`, 'ok')
      }
    } catch (e) {
      toast(toBridgeError(e).message, 'bad')
    } finally {
      setBusy(false)
    }
  }
  return (
    <header className="visit-header">
      <Avatar email={email} name={name} />
      <div className="visit-header__who">
        <h1 id="visit-title" className="screen__title">
          {name}’s house
        </h1>
        <p className="visit-header__email">{email}</p>
      </div>
      <div className="visit-header__side">
        {peer ? <PeerStatusBadge peer={peer} /> : null}
        <button type="button" className="button button--ghost" onClick={toggleFriend} disabled={busy}>
          <Icon name={peer?.friend ? 'close' : 'plus'} size={16} />
          {peer?.friend ? 'Remove friend' : 'Add friend'}
        </button>
      </div>
    </header>
  )
}

function FolderView({ email, path, who, onNotAFolder }: { email: string; path: string; who: string; onNotAFolder: () => void }) {
  const { api, navigate } = useServices()
  const load = useCallback(
    async (cursor: string | undefined, limit: number) => {
      const listing = await api.listRemoteFiles(cursor ? { email, path, cursor, limit } : { email, path, limit })
      rememberEntries(email, listing.entries)
      return listing
    },
    [api, email, path],
  )
  const listing = useListing(`${email}\n${path}`, load)
  const notAFolder = listing.phase === 'error' && listing.error?.code === 'not_a_directory'
  useEffect(() => {
    if (notAFolder) onNotAFolder()
  }, [notAFolder, onNotAFolder])

  const hrefFor = useCallback((e: FileEntry) => routeToHash({ name: 'peer', email, path: e.path }), [email])
  const toParent = path === '' ? undefined : () => navigate({ name: 'peer', email, path: parentPath(path) })
  const folderName = path === '' ? `${who}’s house` : baseName(path)

  if (listing.phase === 'loading' || notAFolder) return <Loading label={`Opening ${folderName}…`} />
  if (listing.phase === 'error' && listing.error) {
    const { title, message } = describeVisitError(listing.error, who)
    return <ErrorState title={title} message={message} onRetry={listing.retry} />
  }
  if (listing.entries.length === 0) {
    return (
      <EmptyState title="This folder is empty" icon="folder">
        {path === '' ? `${who} has not shared anything yet.` : 'Nothing has been put here yet.'}
      </EmptyState>
    )
  }
  return (
    <div className="folder-view">
      <p className="folder-view__summary">
        {plural(listing.entries.length, 'item')}
        {listing.hasMore ? ' so far' : ''}
      </p>
      <FileList
        entries={listing.entries}
        label={`Files in ${folderName}`}
        hrefFor={hrefFor}
        hasMore={listing.hasMore}
        loadingMore={listing.loadingMore}
        onLoadMore={listing.loadMore}
        onParent={toParent}
        autoFocus
      />
      {listing.error ? <p className="preview-note" role="alert">Could not load the rest of this folder: {listing.error.message}</p> : null}
    </div>
  )
}

function FileView({ email, path, entry, who, anchor }: { email: string; path: string; entry: FileEntry | undefined; who: string; anchor?: string }) {
  const { api, navigate, toast, downloadStarted } = useServices()
  const name = baseName(path)
  const kind = previewKind(name, entry?.mime)
  const [text, setText] = useState<{ phase: 'loading' | 'ready' | 'error'; reply?: RemoteTextReply; error?: BridgeError }>({ phase: 'loading' })
  const [external, setExternal] = useState<string | null>(null)
  const [attempt, setAttempt] = useState(0)
  const articleRef = useRef<HTMLElement>(null)
  // Land keyboard focus in the opened file, so Backspace (back to the folder) and scrolling keys work at once.
  useEffect(() => {
    if (!articleRef.current?.contains(document.activeElement)) articleRef.current?.focus({ preventScroll: true })
  }, [path])

  const wantsText = kind === 'markdown' || kind === 'text'
  useEffect(() => {
    if (!wantsText) return
    let live = true
    setText({ phase: 'loading' })
    api
      .readRemoteText({ email, path })
      .then((reply) => live && setText({ phase: 'ready', reply }))
      .catch((e: unknown) => live && setText({ phase: 'error', error: toBridgeError(e) }))
    return () => {
      live = false
    }
  }, [api, email, path, wantsText, attempt])

  const download = async () => {
    try {
      const d = await api.startDownload({ email, path })
      downloadStarted(d)
    } catch (e) {
      toast(`Could not download ${name}: ${toBridgeError(e).message}`, 'bad')
    }
  }
  const hrefForPath = useCallback((p: string, at?: string) => routeToHash(at ? { name: 'peer', email, path: p, anchor: at } : { name: 'peer', email, path: p }), [email])
  const imageUrl = useCallback((p: string) => api.remoteFileUrl(email, p), [api, email])
  const onKeyDown = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement
    if (e.key === 'Backspace' && !/^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) && !t.isContentEditable) {
      e.preventDefault()
      navigate({ name: 'peer', email, path: parentPath(path) })
    }
  }

  const size = entry?.size ?? text.reply?.size
  const noPreviewReason =
    kind === 'download'
      ? 'There is no preview for this kind of file.'
      : text.phase === 'error' && text.error?.code === 'not_text'
        ? 'This file is not text, so it cannot be shown here.'
        : text.phase === 'error' && text.error?.code === 'too_large'
          ? 'This file is too large to show here.'
          : null

  let body
  if (noPreviewReason !== null) {
    body = <NoPreview name={name} reason={noPreviewReason} onDownload={download} />
  } else if (kind === 'image') {
    body = <ImageView src={api.remoteFileUrl(email, path)} name={name} />
  } else if (kind === 'video' || kind === 'audio') {
    body = <MediaView src={api.remoteFileUrl(email, path)} name={name} kind={kind} />
  } else if (text.phase === 'loading') {
    body = <Loading label={`Opening ${name}…`} />
  } else if (text.phase === 'error' && text.error) {
    const { title, message } = describeVisitError(text.error, who)
    body = <ErrorState title={title} message={message} onRetry={() => setAttempt((a) => a + 1)} />
  } else if (text.reply && kind === 'markdown') {
    body = (
      <MarkdownView
        text={text.reply.text}
        filePath={path}
        hrefForPath={hrefForPath}
        imageUrl={imageUrl}
        onExternalLink={setExternal}
        anchor={anchor}
      />
    )
  } else if (text.reply) {
    body = text.reply.text === '' ? <EmptyState title="This file is empty" icon="text" /> : <TextView text={text.reply.text} label={`Contents of ${name}`} />
  }

  return (
    <article className="file-view" aria-label={name} onKeyDown={onKeyDown} ref={articleRef} tabIndex={-1}>
      <div className="file-view__bar">
        <div className="file-view__title">
          <h2>{name}</h2>
          <p className="file-view__meta">
            {describeType(name, entry?.mime)}
            {size !== undefined ? ` · ${formatBytes(size)}` : ''}
            {entry ? ` · modified ${formatRelativeTime(entry.mtime)}` : ''}
          </p>
        </div>
        {noPreviewReason === null ? (
          <button type="button" className="button" onClick={download} aria-label={`Download ${name}`}>
            <Icon name="download" size={16} /> Download
          </button>
        ) : null}
      </div>
      <div className={`file-view__body file-view__body--${kind}`}>{body}</div>
      <ConfirmDialog
        open={external !== null}
        title="Open an outside link?"
        confirmLabel="Open link"
        onCancel={() => setExternal(null)}
        onConfirm={() => {
          const url = external
          setExternal(null)
          if (url)
            api.openExternal({ url }).catch((e: unknown) => toast(`Could not open the link: ${toBridgeError(e).message}`, 'bad'))
        }}
      >
        <p>This link leaves {who}’s house and opens in your web browser:</p>
        <p className="dialog__url">{external}</p>
      </ConfirmDialog>
    </article>
  )
}
