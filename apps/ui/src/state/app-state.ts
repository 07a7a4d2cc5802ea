/**
 * The renderer's picture of the app: what the bridge said last. Pure reducers (tested without React): the store
 * feeds them the results of calls and every BridgeEvent.
 */
import {
  type AppInfo,
  type BridgeEvent,
  type Download,
  type PeersReply,
  type PeerView,
  type PublishingStatus,
  type Settings,
  type SettingsDefaults,
  type Status,
} from '@flashback/protocol'

export type Phase = 'loading' | 'ready' | 'failed' | 'unauthorized'

export interface AppState {
  phase: Phase
  /** Why loading failed (phase 'failed'). */
  loadError: string | null
  info: AppInfo | null
  settings: Settings | null
  defaults: SettingsDefaults
  status: Status | null
  /** null until the first listing arrived. */
  peers: PeerView[] | null
  peersError: string | null
  trackerError: string | null
  peersUpdatedAt: string | null
  /** Newest first. */
  downloads: Download[]
  /** Publishing my share to the file registry; null until asked. */
  publishing: PublishingStatus | null
}

export const initialState: AppState = {
  phase: 'loading',
  loadError: null,
  info: null,
  settings: null,
  defaults: {},
  status: null,
  peers: null,
  peersError: null,
  trackerError: null,
  peersUpdatedAt: null,
  downloads: [],
  publishing: null,
}

export type Action =
  | { type: 'loaded'; info: AppInfo; settings: Settings | null; defaults: SettingsDefaults; status: Status; downloads: Download[] }
  | { type: 'load-failed'; message: string; unauthorized: boolean }
  | { type: 'peers-loaded'; reply: PeersReply }
  | { type: 'peers-failed'; message: string }
  | { type: 'publishing-loaded'; publishing: PublishingStatus }
  | { type: 'event'; event: BridgeEvent }

const byEmail = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()

/** Upserts one peer, keeping the list's order (new peers go to the end; sortPeers orders for display). */
export function upsertPeer(peers: PeerView[] | null, peer: PeerView): PeerView[] {
  const list = peers ?? []
  const at = list.findIndex((p) => byEmail(p.email, peer.email))
  if (at < 0) return [...list, peer]
  const next = list.slice()
  next[at] = peer
  return next
}

/** Upserts one download; new ones go first (newest first). */
export function upsertDownload(downloads: Download[], download: Download): Download[] {
  const at = downloads.findIndex((d) => d.id === download.id)
  if (at < 0) return [download, ...downloads]
  const next = downloads.slice()
  next[at] = download
  return next
}

export function reduce(state: AppState, action: Action): AppState {
  switch (action.type) {
    case 'loaded':
      return {
        ...state,
        phase: 'ready',
        loadError: null,
        info: action.info,
        settings: action.settings,
        defaults: action.defaults,
        status: action.status,
        downloads: action.downloads,
      }
    case 'load-failed':
      return { ...state, phase: action.unauthorized ? 'unauthorized' : 'failed', loadError: action.message }
    case 'peers-loaded':
      return {
        ...state,
        peers: action.reply.peers,
        peersError: null,
        trackerError: action.reply.trackerError ?? null,
        peersUpdatedAt: action.reply.updatedAt,
      }
    case 'peers-failed':
      return { ...state, peersError: action.message }
    case 'publishing-loaded':
      return { ...state, publishing: action.publishing }
    case 'event':
      return reduceEvent(state, action.event)
  }
}

export function reduceEvent(state: AppState, event: BridgeEvent): AppState {
  switch (event.type) {
    case 'status':
      return { ...state, status: event.status }
    case 'settings':
      return { ...state, settings: event.settings }
    case 'peer':
      return { ...state, peers: upsertPeer(state.peers, event.peer) }
    case 'peers':
      return {
        ...state,
        peers: event.peers.peers,
        peersError: null,
        trackerError: event.peers.trackerError ?? null,
        peersUpdatedAt: event.peers.updatedAt,
      }
    case 'peer-removed':
      return state.peers === null ? state : { ...state, peers: state.peers.filter((p) => !byEmail(p.email, event.email)) }
    case 'download':
      return { ...state, downloads: upsertDownload(state.downloads, event.download) }
    case 'publishing':
      return { ...state, publishing: event.publishing }
  }
}

const statusRank: Record<PeerView['status'], number> = { online: 0, checking: 1, error: 2, offline: 3 }

/** Display order: online first, then checking, error, offline; friends before others; then by name. */
export function sortPeers(peers: readonly PeerView[]): PeerView[] {
  return [...peers].sort(
    (a, b) =>
      statusRank[a.status] - statusRank[b.status] ||
      Number(b.friend) - Number(a.friend) ||
      peerName(a).localeCompare(peerName(b), 'en', { sensitivity: 'base' }),
  )
}

/** What to call a peer: the nickname, else the e-mail. */
export const peerName = (p: Pick<PeerView, 'email' | 'nickname'>): string => p.nickname ?? p.email

/** Downloads still moving (for the sidebar badge). */
export const activeDownloads = (downloads: readonly Download[]): number =>
  downloads.filter((d) => d.state === 'running').length

/** Whether the UI should show the first-run setup. */
export const needsSetup = (state: AppState): boolean => state.phase === 'ready' && state.settings === null
