/** The app shell: load state, first-run setup, then the sidebar and the current screen. */
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { type Download, type FlashbackApi } from '@flashback/protocol'
import { AppContext, useHashRoute, useServices, type AppServices } from './app-context.js'
import { Icon, type IconName } from './components/icon.js'
import { ToastRegion, useToasts } from './components/toasts.js'
import { ErrorState, Loading } from './components/states.js'
import { describeRegistration } from './lib/status-text.js'
import { routeToHash, type Route } from './lib/route.js'
import { activeDownloads } from './state/app-state.js'
import { AppStore, useAppState } from './state/store.js'
import { DownloadsScreen } from './screens/downloads-screen.js'
import { HouseScreen } from './screens/house-screen.js'
import { PeersScreen } from './screens/peers-screen.js'
import { SearchScreen } from './screens/search-screen.js'
import { SettingsScreen } from './screens/settings-screen.js'
import { SetupScreen } from './screens/setup-screen.js'
import { VisitScreen } from './screens/visit-screen.js'

export function App({ api }: { api: FlashbackApi }) {
  const store = useMemo(() => new AppStore(api), [api])
  useEffect(() => {
    void store.start()
    return () => store.stop()
  }, [store])
  const [route, navigate] = useHashRoute()
  const { toast, downloadStarted, dismiss, views } = useToasts(store, route)
  const canReveal = useAppState(store, (s) => s.info?.canReveal ?? false)
  const services = useMemo<AppServices>(() => ({ api, store, navigate, toast, downloadStarted }), [api, store, navigate, toast, downloadStarted])
  const reveal = useCallback((d: Download) => api.revealDownload({ id: d.id }), [api])

  return (
    <AppContext.Provider value={services}>
      <Root route={route} />
      <ToastRegion views={views} onDismiss={dismiss} canReveal={canReveal} onReveal={reveal} />
    </AppContext.Provider>
  )
}

function Root({ route }: { route: Route }) {
  const { store } = useServices()
  const phase = useAppState(store, (s) => s.phase)
  const loadError = useAppState(store, (s) => s.loadError)
  const settings = useAppState(store, (s) => s.settings)
  // The setup stays up until it finishes, even though saving already produced settings (e.g. e-mail taken).
  const [setup, setSetup] = useState<boolean | null>(null)
  useEffect(() => {
    if (phase === 'ready' && setup === null) setSetup(settings === null)
  }, [phase, settings, setup])

  if (phase === 'loading' || (phase === 'ready' && setup === null)) {
    return (
      <main className="splash" id="main">
        <Loading label="Starting Flashback…" />
      </main>
    )
  }
  if (phase === 'unauthorized') {
    return (
      <main className="splash" id="main">
        <div className="splash__card">
          <span className="brand-mark" aria-hidden="true">
            <Icon name="lock" size={26} />
          </span>
          <h1>This page needs its access link</h1>
          <p>
            For your safety, Flashback’s web mode only answers the browser that opened the address it printed when it
            started (the one with <code>?token=</code>). Open that address again.
          </p>
        </div>
      </main>
    )
  }
  if (phase === 'failed') {
    return (
      <main className="splash" id="main">
        <ErrorState title="Flashback is not answering" message={loadError ?? undefined} onRetry={() => void store.start()} />
      </main>
    )
  }
  if (setup) return <SetupScreen onDone={() => setSetup(false)} />
  return <Shell route={route} />
}


const nav: { route: Route; label: string; icon: IconName; match: Route['name'][] }[] = [
  { route: { name: 'peers' }, label: 'Peers', icon: 'peers', match: ['peers', 'peer'] },
  { route: { name: 'search' }, label: 'Search', icon: 'search', match: ['search'] },
  { route: { name: 'house', path: '' }, label: 'My house', icon: 'house', match: ['house'] },
  { route: { name: 'downloads' }, label: 'Downloads', icon: 'download', match: ['downloads'] },
  { route: { name: 'settings' }, label: 'Settings', icon: 'settings', match: ['settings'] },
]

function Shell({ route }: { route: Route }) {
  const { store } = useServices()
  const status = useAppState(store, (s) => s.status)
  const downloads = useAppState(store, (s) => s.downloads)
  const active = activeDownloads(downloads)
  const mainRef = useRef<HTMLElement>(null)
  const look = status ? describeRegistration(status) : null

  // Move focus to the new screen's heading on navigation, so keyboard and screen-reader users land in it.
  const key = route.name === 'peer' ? `peer:${route.email}` : route.name
  const first = useRef(true)
  useEffect(() => {
    if (first.current) {
      first.current = false
      return
    }
    const h = mainRef.current?.querySelector<HTMLElement>('h1')
    if (h && !mainRef.current?.contains(document.activeElement)) {
      h.setAttribute('tabindex', '-1')
      h.focus({ preventScroll: true })
    }
  }, [key])

  let screen: ReactNode
  switch (route.name) {
    case 'peers':
      screen = <PeersScreen />
      break
    case 'peer':
      screen = <VisitScreen key={route.email} email={route.email} path={route.path} anchor={route.anchor} />
      break
    case 'house':
      screen = <HouseScreen path={route.path} />
      break
    case 'search':
      screen = <SearchScreen by={route.by} q={route.q} />
      break
    case 'downloads':
      screen = <DownloadsScreen />
      break
    case 'settings':
      screen = <SettingsScreen />
      break
  }

  return (
    <div className="shell">
      <a className="skip-link" href="#main" onClick={(e) => {
        e.preventDefault()
        mainRef.current?.focus()
      }}>
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="sidebar__brand">
          <span className="brand-mark" aria-hidden="true">
            <Icon name="logo" size={22} />
          </span>
          <span className="brand-name">Flashback</span>
        </div>
        <nav aria-label="Main">
          <ul className="nav">
            {nav.map((item) => {
              const current = item.match.includes(route.name)
              return (
                <li key={item.label}>
                  <a className="nav__link" href={routeToHash(item.route)} aria-current={current ? 'page' : undefined}>
                    <Icon name={item.icon} size={19} />
                    <span>{item.label}</span>
                    {item.route.name === 'downloads' && active > 0 ? (
                      <span className="nav__badge" aria-label={`${active} active`}>
                        {active}
                      </span>
                    ) : null}
                  </a>
                </li>
              )
            })}
          </ul>
        </nav>
        {status && look ? (
          <a className={`me-card me-card--${look.tone}`} href={routeToHash({ name: 'house', path: '' })} aria-label={`My status: ${look.title}`}>
            <span className={`status-dot status-dot--${look.tone}`} aria-hidden="true" />
            <span className="me-card__text">
              <span className="me-card__title">{look.title}</span>
              <span className="me-card__email">{status.email}</span>
            </span>
          </a>
        ) : null}
      </aside>
      <main className="main" id="main" ref={mainRef} tabIndex={-1}>
        {route.name === 'settings' ? null : <GlobalBanner />}
        {screen}
      </main>
    </div>
  )
}

/** Problems that concern every screen: the e-mail is taken, the tracker refuses us. */
function GlobalBanner() {
  const { store } = useServices()
  const status = useAppState(store, (s) => s.status)
  if (!status) return null
  if (status.registration === 'email_taken') {
    return (
      <div className="banner banner--bad" role="alert">
        <Icon name="alert" size={18} />
        <span>
          <strong>Your e-mail is taken on this tracker.</strong> {status.email} is registered with another certificate, so
          others cannot find you. <a href={routeToHash({ name: 'settings' })}>Choose another address</a>
        </span>
      </div>
    )
  }
  if (status.registration === 'rejected') {
    const look = describeRegistration(status)
    return (
      <div className="banner banner--bad" role="alert">
        <Icon name="alert" size={18} />
        <span>
          <strong>{look.title}.</strong> {look.detail} <a href={routeToHash({ name: 'settings' })}>Check the settings</a>
        </span>
      </div>
    )
  }
  if (status.registration === 'retrying') {
    const look = describeRegistration(status)
    return (
      <div className="banner banner--warn" role="status">
        <Icon name="refresh" size={18} />
        <span>
          <strong>{look.title}.</strong> {look.detail}
        </span>
      </div>
    )
  }
  return null
}
