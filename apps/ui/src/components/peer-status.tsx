import { type PeerView } from '@flashback/protocol'
import { peerStatusLook } from '../lib/status-text.js'

/** ● online · ○ offline · ? checking · ! error, with the error's message. */
export function PeerStatusBadge({ peer, showMessage = true }: { peer: Pick<PeerView, 'status' | 'error'>; showMessage?: boolean }) {
  const look = peerStatusLook(peer.status)
  return (
    <span className={`peer-status peer-status--${look.tone}`} data-status={peer.status}>
      <span className="peer-status__glyph" aria-hidden="true">
        {look.glyph}
      </span>
      <span className="peer-status__label">{look.label}</span>
      {showMessage && peer.status === 'error' && peer.error ? <span className="peer-status__message">{peer.error}</span> : null}
    </span>
  )
}

/** A round initial, coloured from the e-mail so each peer keeps its colour. */
export function Avatar({ email, name, size = 36 }: { email: string; name: string; size?: number }) {
  let hash = 0
  for (const c of email.toLowerCase()) hash = (hash * 31 + c.charCodeAt(0)) >>> 0
  const hue = hash % 360
  const letter = (name.trim()[0] ?? '?').toUpperCase()
  return (
    <span className={`avatar avatar--h${Math.floor(hue / 30)}`} data-size={size} aria-hidden="true">
      {letter}
    </span>
  )
}
