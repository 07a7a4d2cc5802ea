/**
 * "Publish my shared files": the switch (saved in the profile, applied at once) and what publishing is doing —
 * hashing progress (files hashed of the total, the file being hashed), how many files are published, and the last
 * problem, shown in full rather than hidden behind a log.
 */
import { useEffect, useId, useState } from 'react'
import { toBridgeError } from '@flashback/protocol'
import { useServices } from '../app-context.js'
import { formatDate, plural } from '../lib/format.js'
import { describePublishing } from '../lib/search.js'
import { useAppState } from '../state/store.js'
import { Icon } from './icon.js'
import { ProgressBar } from './progress-bar.js'

export function PublishingCard() {
  const { api, store } = useServices()
  const publishing = useAppState(store, (s) => s.publishing)
  /** The value asked for while the bridge answers (the switch follows the hand at once). */
  const [asked, setAsked] = useState<boolean | null>(null)
  const busy = asked !== null
  const [failure, setFailure] = useState<string | null>(null)
  const titleId = useId()
  const hintId = useId()
  useEffect(() => {
    if (!publishing) void store.refreshPublishing()
  }, [publishing, store])

  const toggle = async (enabled: boolean) => {
    setAsked(enabled)
    setFailure(null)
    try {
      store.dispatch({ type: 'publishing-loaded', publishing: await api.setPublishing({ enabled }) })
    } catch (e) {
      setFailure(toBridgeError(e).message)
    } finally {
      setAsked(null)
    }
  }

  const look = publishing ? describePublishing(publishing) : null
  return (
    <section className="card publishing-card" aria-labelledby={titleId}>
      <h2 id={titleId} className="card__title">
        File registry
      </h2>
      <label className="choice choice--check">
        <input
          type="checkbox"
          checked={asked ?? publishing?.enabled ?? false}
          disabled={busy || publishing === null}
          onChange={(e) => void toggle(e.target.checked)}
          aria-describedby={hintId}
        />
        <span>
          <span className="choice__label">Publish my shared files</span>
          <span className="choice__hint" id={hintId}>
            The tracker learns the name, size and SHA-256 of every file in your shared folder, so others can find them
            by searching. Never their contents. Hashing runs in the background and remembers what it has done.
          </span>
        </span>
      </label>

      {publishing?.error ? (
        <div className="banner banner--bad" role="alert">
          <Icon name="alert" size={18} />
          <span>
            <strong>Publishing has a problem.</strong> {publishing.error.message}{' '}
            <span className="publishing__when">(since {formatDate(publishing.error.at)})</span>
          </span>
        </div>
      ) : null}
      {publishing && look && publishing.enabled ? (
        <div className={`publishing publishing--${look.tone}`} role="status" aria-label="Publishing status">
          <div className="publishing__head">
            <span className={`status-dot status-dot--${look.tone === 'muted' ? 'busy' : look.tone}`} aria-hidden="true" />
            <div>
              <p className="publishing__title">{look.title}</p>
              <p className="publishing__detail">{look.detail}</p>
            </div>
          </div>
          {look.percent !== null ? <ProgressBar percent={look.percent} label="Hashing my shared files" /> : null}
          <dl className="facts">
            <div>
              <dt>Hashed</dt>
              <dd>
                {publishing.hashed.toLocaleString('en-US')} of {plural(publishing.files, 'file')}
              </dd>
            </div>
            <div>
              <dt>Published</dt>
              <dd>{plural(publishing.published, 'file')}</dd>
            </div>
            {publishing.current ? (
              <div className="facts__wide">
                <dt>Now hashing</dt>
                <dd>
                  <code className="publishing__current" title={publishing.current}>
                    {publishing.current}
                  </code>
                </dd>
              </div>
            ) : null}
          </dl>
        </div>
      ) : null}

      {failure ? (
        <p className="field__error" role="alert">
          {failure}
        </p>
      ) : null}
    </section>
  )
}
