/** What every screen needs: the bridge, the store, navigation and toasts. */
import { createContext, useCallback, useContext, useEffect, useState } from 'react'
import { type Download, type FlashbackApi } from '@flashback/protocol'
import { parseHash, routeToHash, type Route } from './lib/route.js'
import { type AppStore } from './state/store.js'

export interface Toast {
  id: number
  text: string
  tone: 'info' | 'ok' | 'bad'
  action?: { label: string; href: string }
  /** A download's notice: its words follow the store's copy of this download (see components/toasts.tsx). */
  download?: Download
}

export interface AppServices {
  api: FlashbackApi
  store: AppStore
  navigate: (route: Route, options?: { replace?: boolean }) => void
  toast: (text: string, tone?: Toast['tone'], action?: Toast['action']) => void
  /** Shows a notice that follows this download until it settles. */
  downloadStarted: (download: Download) => void
}

export const AppContext = createContext<AppServices | null>(null)

export function useServices(): AppServices {
  const s = useContext(AppContext)
  if (!s) throw new Error('useServices outside <AppContext.Provider>')
  return s
}

/** The current hash route, updated on hashchange. */
export function useHashRoute(): [Route, (route: Route, options?: { replace?: boolean }) => void] {
  const [route, setRoute] = useState<Route>(() => parseHash(globalThis.location?.hash ?? ''))
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash))
    addEventListener('hashchange', onChange)
    return () => removeEventListener('hashchange', onChange)
  }, [])
  const navigate = useCallback((next: Route, options?: { replace?: boolean }) => {
    const hash = routeToHash(next)
    if (options?.replace) {
      history.replaceState(null, '', hash)
      setRoute(parseHash(hash))
    } else if (location.hash !== hash) {
      location.hash = hash
    } else {
      setRoute(parseHash(hash))
    }
  }, [])
  return [route, navigate]
}
