/** Holds AppState for React: loads it through the bridge, keeps it current from events. */
import { useSyncExternalStore } from 'react'
import { toBridgeError, type FlashbackApi } from '@flashback/protocol'
import { initialState, reduce, type Action, type AppState } from './app-state.js'

export class AppStore {
  private state: AppState = initialState
  private readonly subscribers = new Set<() => void>()
  private unsubscribeEvents: (() => void) | null = null

  constructor(readonly api: FlashbackApi) {}

  getState = (): AppState => this.state

  subscribe = (fn: () => void): (() => void) => {
    this.subscribers.add(fn)
    return () => this.subscribers.delete(fn)
  }

  dispatch(action: Action): void {
    const next = reduce(this.state, action)
    if (next === this.state) return
    this.state = next
    for (const fn of [...this.subscribers]) fn()
  }

  /** First load; safe to call again (retry). Events are subscribed before loading so none is missed. */
  async start(): Promise<void> {
    if (!this.unsubscribeEvents) this.unsubscribeEvents = this.api.subscribe((event) => this.dispatch({ type: 'event', event }))
    try {
      const [info, settingsReply, status, downloads] = await Promise.all([
        this.api.getInfo(),
        this.api.getSettings(),
        this.api.getStatus(),
        this.api.listDownloads(),
      ])
      this.dispatch({
        type: 'loaded',
        info,
        settings: settingsReply.settings,
        defaults: settingsReply.defaults,
        status,
        downloads: downloads.downloads,
      })
      if (settingsReply.settings) {
        void this.refreshPeers(false)
        void this.refreshPublishing()
      }
    } catch (e) {
      const err = toBridgeError(e)
      this.dispatch({ type: 'load-failed', message: err.message, unauthorized: err.code === 'unauthorized' })
    }
  }

  async refreshPeers(refresh: boolean): Promise<void> {
    try {
      const reply = await this.api.listPeers(refresh ? { refresh: true } : {})
      this.dispatch({ type: 'peers-loaded', reply })
    } catch (e) {
      this.dispatch({ type: 'peers-failed', message: toBridgeError(e).message })
    }
  }

  /** Publishing's state; a failure leaves it unknown (the card then offers the switch alone). */
  async refreshPublishing(): Promise<void> {
    try {
      this.dispatch({ type: 'publishing-loaded', publishing: await this.api.getPublishing() })
    } catch {
      // events bring it later, or the Settings card asks again
    }
  }

  stop(): void {
    this.unsubscribeEvents?.()
    this.unsubscribeEvents = null
  }
}

export function useAppState<T>(store: AppStore, select: (s: AppState) => T): T {
  return useSyncExternalStore(store.subscribe, () => select(store.getState()))
}
