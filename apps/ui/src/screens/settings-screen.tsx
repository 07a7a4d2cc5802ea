import { useServices } from '../app-context.js'
import { PublishingCard } from '../components/publishing-card.js'
import { useAppState } from '../state/store.js'
import { SettingsForm } from './settings-form.js'

export function SettingsScreen() {
  const { store, toast } = useServices()
  const info = useAppState(store, (s) => s.info)
  return (
    <section className="screen screen--narrow" aria-labelledby="settings-title">
      <header className="screen__header">
        <div>
          <h1 id="settings-title" className="screen__title">
            Settings
          </h1>
          <p className="screen__subtitle">Changes restart sharing with the new settings.</p>
        </div>
      </header>
      <div className="card">
        <SettingsForm submitLabel="Save changes" onSaved={() => toast('Settings saved.', 'ok')} />
      </div>
      <PublishingCard />
      {info ? (
        <p className="about">
          Flashback {info.version} · {info.mode === 'desktop' ? 'desktop app' : 'web mode'}
        </p>
      ) : null}
    </section>
  )
}
