/** Everyone online plus my friends, each with a visible status; add and remove friends. */
import { useId, useMemo, useState, type FormEvent } from 'react'
import { isBridgeEmail, toBridgeError, type PeerView } from '@flashback/protocol'
import { useServices } from '../app-context.js'
import { Icon } from '../components/icon.js'
import { Avatar, PeerStatusBadge } from '../components/peer-status.js'
import { EmptyState, ErrorState, Loading } from '../components/states.js'
import { formatRelativeTime, plural } from '../lib/format.js'
import { routeToHash } from '../lib/route.js'
import { peerName, sortPeers } from '../state/app-state.js'
import { useAppState } from '../state/store.js'

type Filter = 'all' | 'friends' | 'online'

export function PeersScreen() {
  const { store } = useServices()
  const peers = useAppState(store, (s) => s.peers)
  const peersError = useAppState(store, (s) => s.peersError)
  const trackerError = useAppState(store, (s) => s.trackerError)
  const updatedAt = useAppState(store, (s) => s.peersUpdatedAt)
  const me = useAppState(store, (s) => s.status?.email ?? null)
  const [filter, setFilter] = useState<Filter>('all')
  const [refreshing, setRefreshing] = useState(false)

  const visible = useMemo(() => {
    const list = sortPeers((peers ?? []).filter((p) => !me || p.email.toLowerCase() !== me.toLowerCase()))
    if (filter === 'friends') return list.filter((p) => p.friend)
    if (filter === 'online') return list.filter((p) => p.status === 'online')
    return list
  }, [peers, filter, me])
  const onlineCount = (peers ?? []).filter((p) => p.status === 'online').length

  const refresh = async () => {
    setRefreshing(true)
    await store.refreshPeers(true)
    setRefreshing(false)
  }

  return (
    <section className="screen" aria-labelledby="peers-title">
      <header className="screen__header">
        <div>
          <h1 id="peers-title" className="screen__title">
            Peers
          </h1>
          <p className="screen__subtitle">
            {peers ? `${plural(onlineCount, 'peer')} online` : 'Looking around…'}
            {updatedAt ? ` · updated ${formatRelativeTime(updatedAt)}` : ''}
          </p>
        </div>
        <button type="button" className="button button--ghost" onClick={refresh} disabled={refreshing}>
          <Icon name="refresh" size={16} className={refreshing ? 'spin' : undefined} /> {refreshing ? 'Refreshing…' : 'Refresh'}
        </button>
      </header>

      <AddFriendForm />

      {trackerError ? (
        <div className="banner banner--warn" role="alert">
          <Icon name="alert" size={18} />
          <span>
            <strong>The tracker cannot be reached.</strong> {trackerError} Showing your friends only.
          </span>
        </div>
      ) : null}

      <div className="segmented" role="group" aria-label="Show">
        {(['all', 'online', 'friends'] as const).map((f) => (
          <button key={f} type="button" className="segmented__item" aria-pressed={filter === f} onClick={() => setFilter(f)}>
            {f === 'all' ? 'Everyone' : f === 'online' ? 'Online' : 'Friends'}
          </button>
        ))}
      </div>

      {peers === null && peersError ? (
        <ErrorState title="Could not load peers" message={peersError} onRetry={refresh} />
      ) : peers === null ? (
        <Loading label="Looking for peers…" />
      ) : visible.length === 0 ? (
        <EmptyState icon="peers" title={filter === 'friends' ? 'No friends yet' : 'Nobody is online right now'}>
          {filter === 'friends'
            ? 'Add a friend by e-mail above: Flashback checks every minute whether they are online.'
            : 'When someone starts Flashback with the same tracker, they appear here.'}
        </EmptyState>
      ) : (
        <ul className="peer-list" aria-label="Peers">
          {visible.map((p) => (
            <PeerRow key={p.email} peer={p} />
          ))}
        </ul>
      )}
    </section>
  )
}

function PeerRow({ peer }: { peer: PeerView }) {
  const { api, toast } = useServices()
  const [busy, setBusy] = useState(false)
  const nameId = useId()
  const name = peerName(peer)
  const toggle = async () => {
    setBusy(true)
    try {
      if (peer.friend) await api.removeFriend({ email: peer.email })
      else await api.addFriend({ email: peer.email })
    } catch (e) {
      toast(toBridgeError(e).message, 'bad')
    } finally {
      setBusy(false)
    }
  }
  const canVisit = peer.status !== 'offline'
  return (
    <li className={`peer-row peer-row--${peer.status}`} aria-labelledby={nameId}>
      <Avatar email={peer.email} name={name} />
      <div className="peer-row__who">
        <span className="peer-row__name" id={nameId}>
          {canVisit ? <a href={routeToHash({ name: 'peer', email: peer.email, path: '' })}>{peer.email}</a> : peer.email}
        </span>
        <span className="peer-row__detail">
          {peer.nickname ? <span>{peer.nickname}</span> : null}
          {peer.friend ? <span className="tag">Friend</span> : null}
          {peer.lastSeen && peer.status !== 'online' ? <span>seen {formatRelativeTime(peer.lastSeen)}</span> : null}
        </span>
      </div>
      <PeerStatusBadge peer={peer} />
      <div className="peer-row__actions">
        {canVisit ? (
          <a className="button button--small" href={routeToHash({ name: 'peer', email: peer.email, path: '' })} aria-label={`Visit ${peer.email}`}>
            <Icon name="house" size={15} /> Visit
          </a>
        ) : null}
        <button
          type="button"
          className="button button--small button--ghost"
          onClick={toggle}
          disabled={busy}
          aria-label={peer.friend ? `Remove ${peer.email} from friends` : `Add ${peer.email} as a friend`}
        >
          {peer.friend ? 'Remove friend' : 'Add friend'}
        </button>
      </div>
    </li>
  )
}

function AddFriendForm() {
  const { api, toast } = useServices()
  const [email, setEmail] = useState('')
  const [nickname, setNickname] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const errorId = useId()
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const address = email.trim()
    if (!isBridgeEmail(address)) {
      setError('Enter an e-mail address, like ada@example.com.')
      return
    }
    setBusy(true)
    setError(null)
    try {
      const nick = nickname.trim()
      await api.addFriend(nick ? { email: address, nickname: nick.slice(0, 100) } : { email: address })
      toast(`${address} is now a friend.`, 'ok')
      setEmail('')
      setNickname('')
    } catch (err) {
      setError(toBridgeError(err).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form className="add-friend" onSubmit={submit} aria-label="Add a friend" noValidate>
      <label className="field field--inline">
        <span className="field__label">Friend’s e-mail</span>
        <input
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          placeholder="ada@example.com"
          autoComplete="off"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
        />
      </label>
      <label className="field field--inline">
        <span className="field__label">Nickname (optional)</span>
        <input type="text" value={nickname} onChange={(e) => setNickname(e.target.value)} maxLength={100} placeholder="Ada" />
      </label>
      <button type="submit" className="button button--primary" disabled={busy}>
        <Icon name="plus" size={16} /> Add friend
      </button>
      {error ? (
        <p className="field__error add-friend__error" id={errorId} role="alert">
          {error}
        </p>
      ) : null}
    </form>
  )
}
