/** Loads a folder page by page: the first page at once, the next ones when the list asks (infinite scroll). */
import { useCallback, useEffect, useRef, useState } from 'react'
import { toBridgeError, type BridgeError, type FileEntry, type FileListing } from '@flashback/protocol'

export const FIRST_PAGE = 500
export const NEXT_PAGE = 2000

export interface ListingState {
  phase: 'loading' | 'ready' | 'error'
  entries: FileEntry[]
  hasMore: boolean
  loadingMore: boolean
  error: BridgeError | null
  loadMore: () => void
  retry: () => void
}

interface Inner {
  key: string
  phase: ListingState['phase']
  entries: FileEntry[]
  cursor: string | undefined
  loadingMore: boolean
  error: BridgeError | null
}

/** `key` identifies the folder; when it changes the listing starts over. Stale answers are dropped. */
export function useListing(key: string, load: (cursor: string | undefined, limit: number) => Promise<FileListing>): ListingState {
  const [state, setState] = useState<Inner>({ key, phase: 'loading', entries: [], cursor: undefined, loadingMore: false, error: null })
  const current = useRef(key)
  const loadRef = useRef(load)
  loadRef.current = load
  const [attempt, setAttempt] = useState(0)

  useEffect(() => {
    current.current = key
    setState({ key, phase: 'loading', entries: [], cursor: undefined, loadingMore: false, error: null })
    loadRef
      .current(undefined, FIRST_PAGE)
      .then((listing) => {
        if (current.current !== key) return
        setState({ key, phase: 'ready', entries: listing.entries, cursor: listing.next_cursor, loadingMore: false, error: null })
      })
      .catch((e: unknown) => {
        if (current.current !== key) return
        setState({ key, phase: 'error', entries: [], cursor: undefined, loadingMore: false, error: toBridgeError(e) })
      })
  }, [key, attempt])

  // A mirror of the state, so loadMore can decide without side effects inside a state updater.
  const stateRef = useRef(state)
  stateRef.current = state

  const loadMore = useCallback(() => {
    const s = stateRef.current
    if (s.key !== current.current || s.loadingMore || s.cursor === undefined || s.phase !== 'ready') return
    const cursor = s.cursor
    const forKey = s.key
    stateRef.current = { ...s, loadingMore: true }
    setState((p) => (p.key !== forKey ? p : { ...p, loadingMore: true }))
    loadRef
      .current(cursor, NEXT_PAGE)
      .then((listing) => {
        if (current.current !== forKey) return
        setState((p) =>
          p.key !== forKey ? p : { ...p, entries: [...p.entries, ...listing.entries], cursor: listing.next_cursor, loadingMore: false },
        )
      })
      .catch((e: unknown) => {
        if (current.current !== forKey) return
        setState((p) => (p.key !== forKey ? p : { ...p, loadingMore: false, error: toBridgeError(e), cursor: undefined }))
      })
  }, [])

  const retry = useCallback(() => setAttempt((a) => a + 1), [])
  const view = state.key === key ? state : { ...state, phase: 'loading' as const, entries: [] }
  return {
    phase: view.phase,
    entries: view.entries,
    hasMore: view.cursor !== undefined,
    loadingMore: view.loadingMore,
    error: view.error,
    loadMore,
    retry,
  }
}
