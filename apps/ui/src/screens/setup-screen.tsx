/** First run: a welcome and the settings form. */
import { Icon } from '../components/icon.js'
import { SettingsForm } from './settings-form.js'

export function SetupScreen({ onDone }: { onDone: () => void }) {
  return (
    <main className="setup" id="main">
      <div className="setup__card">
        <div className="setup__brand">
          <span className="brand-mark" aria-hidden="true">
            <Icon name="logo" size={28} />
          </span>
          <span className="brand-name">Flashback</span>
        </div>
        <h1 className="setup__title">Welcome! Let’s open your house.</h1>
        <p className="setup__lead">
          Flashback shares one folder of this computer with the people you choose. They visit it directly, computer to
          computer; the tracker only helps you find each other.
        </p>
        <SettingsForm submitLabel="Start sharing" onSaved={onDone} />
      </div>
    </main>
  )
}
