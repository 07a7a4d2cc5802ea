/**
 * The settings form, used by the first-run setup and the Settings screen: e-mail, folder to share, tracker address
 * and fingerprint, and who may visit. Validated as you go (after a first attempt) with the bridge's own rules.
 */
import { useId, useRef, useState, type FormEvent, type ReactNode } from 'react'
import {
  settingsProblems,
  toBridgeError,
  type AccessPolicy,
  type SetSettingsReply,
  type Settings,
  type SettingsDefaults,
  type SettingsField,
} from '@flashback/protocol'
import { useServices } from '../app-context.js'
import { Icon } from '../components/icon.js'
import { normalizeFingerprintInput } from '../lib/fingerprint.js'
import { useAppState } from '../state/store.js'

interface Draft {
  email: string
  shareRoot: string
  trackerUrl: string
  trackerFingerprint: string
  bindAll: boolean
  access: AccessPolicy
}

export function draftFrom(settings: Settings | null, defaults: SettingsDefaults): Draft {
  return {
    email: settings?.email ?? defaults.email ?? '',
    shareRoot: settings?.shareRoot ?? defaults.shareRoot ?? '',
    trackerUrl: settings?.trackerUrl ?? defaults.trackerUrl ?? '',
    trackerFingerprint: settings?.trackerFingerprint ?? defaults.trackerFingerprint ?? '',
    bindAll: settings?.bindAll ?? defaults.bindAll ?? false,
    access: settings?.access ?? defaults.access ?? 'open',
  }
}

/** The draft as the bridge wants it, plus field problems (including a fingerprint that does not parse). */
export function settingsFromDraft(draft: Draft): { settings: Settings; problems: Partial<Record<SettingsField, string>> } {
  const fpText = draft.trackerFingerprint.trim()
  const fp = fpText === '' ? null : normalizeFingerprintInput(fpText)
  const settings: Settings = {
    email: draft.email.trim(),
    shareRoot: draft.shareRoot.trim(),
    trackerUrl: draft.trackerUrl.trim(),
    trackerFingerprint: fp,
    bindAll: draft.bindAll,
    access: draft.access,
  }
  const problems: Partial<Record<SettingsField, string>> = {}
  for (const p of settingsProblems(settings)) problems[p.field] ??= p.message
  if (fpText !== '' && fp === null) problems.trackerFingerprint = 'A fingerprint is 64 hexadecimal digits (SHA-256), with or without colons.'
  return { settings, problems }
}

const fieldOrder: SettingsField[] = ['email', 'shareRoot', 'trackerUrl', 'trackerFingerprint', 'access', 'bindAll']

export function SettingsForm({
  submitLabel,
  onSaved,
  intro,
}: {
  submitLabel: string
  /** Called after a save that did not end in email_taken. */
  onSaved?: (reply: SetSettingsReply) => void
  intro?: ReactNode
}) {
  const { api, store, toast } = useServices()
  const settings = useAppState(store, (s) => s.settings)
  const defaults = useAppState(store, (s) => s.defaults)
  const info = useAppState(store, (s) => s.info)
  const status = useAppState(store, (s) => s.status)
  const [draft, setDraft] = useState<Draft>(() => draftFrom(settings, defaults))
  const [attempted, setAttempted] = useState(false)
  const [serverProblem, setServerProblem] = useState<{ field?: SettingsField; message: string } | null>(null)
  const [takenEmail, setTakenEmail] = useState<string | null>(() => (status?.registration === 'email_taken' ? (status.email ?? null) : null))
  const [busy, setBusy] = useState(false)
  const refs = useRef<Partial<Record<SettingsField, HTMLInputElement | null>>>({})
  const formId = useId()

  const { settings: candidate, problems } = settingsFromDraft(draft)
  const shown: Partial<Record<SettingsField, string>> = attempted ? { ...problems } : {}
  if (serverProblem?.field) shown[serverProblem.field] ??= serverProblem.message

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((d) => {
      const next = { ...d, [key]: value }
      // Sharing with the network cannot be open to anyone: move to "registered" rather than refuse.
      if (key === 'bindAll' && value === true && next.access === 'open') next.access = 'registered'
      return next
    })
    if (serverProblem?.field === key) setServerProblem(null)
    if (key === 'email') setTakenEmail(null)
  }

  const focusField = (field: SettingsField) => {
    const el = refs.current[field]
    el?.focus()
    if (field === 'email') el?.select()
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setAttempted(true)
    const first = fieldOrder.find((f) => problems[f])
    if (first) {
      focusField(first)
      return
    }
    setBusy(true)
    setServerProblem(null)
    try {
      const reply = await api.setSettings(candidate)
      if (reply.status.registration === 'email_taken') {
        setTakenEmail(candidate.email)
        focusField('email')
      } else {
        setTakenEmail(null)
        onSaved?.(reply)
      }
    } catch (err) {
      const be = toBridgeError(err)
      const field = fieldOrder.find((f) => f === be.field)
      if (be.code === 'email_taken') {
        setTakenEmail(candidate.email)
        focusField('email')
      } else if (field) {
        setServerProblem({ field, message: be.message })
        focusField(field)
      } else {
        setServerProblem({ message: be.message })
      }
    } finally {
      setBusy(false)
    }
  }

  const choose = async () => {
    try {
      const reply = await api.chooseShareFolder()
      if (reply.path) set('shareRoot', reply.path)
    } catch (err) {
      toast(toBridgeError(err).message, 'bad')
    }
  }

  const err = (field: SettingsField) => shown[field]
  const describedBy = (field: SettingsField, hint: boolean) =>
    [hint ? `${formId}-${field}-hint` : null, err(field) ? `${formId}-${field}-error` : null].filter(Boolean).join(' ') || undefined
  const errorText = (field: SettingsField) =>
    err(field) ? (
      <p className="field__error" id={`${formId}-${field}-error`}>
        {err(field)}
      </p>
    ) : null

  return (
    <form className="settings-form" onSubmit={submit} noValidate aria-label={submitLabel === 'Save changes' ? 'Settings' : 'Set up Flashback'}>
      {intro}
      {takenEmail ? (
        <div className="banner banner--bad" role="alert">
          <Icon name="alert" size={18} />
          <div>
            <strong>{takenEmail} is already taken on this tracker.</strong>
            <p>
              The tracker knows this address with another certificate: it is in use on another computer, or by an
              earlier installation of Flashback. Choose another address, or use Flashback on the computer that holds it.
            </p>
            <button type="button" className="button button--small" onClick={() => focusField('email')}>
              Use another address
            </button>
          </div>
        </div>
      ) : null}

      <div className={`field${err('email') ? ' field--invalid' : ''}`}>
        <label className="field__label" htmlFor={`${formId}-email`}>
          Your e-mail
        </label>
        <input
          id={`${formId}-email`}
          ref={(el) => {
            refs.current.email = el
          }}
          type="email"
          autoComplete="email"
          value={draft.email}
          onChange={(e) => set('email', e.target.value)}
          aria-invalid={err('email') || takenEmail ? true : undefined}
          aria-describedby={describedBy('email', true)}
          placeholder="ada@example.com"
        />
        <p className="field__hint" id={`${formId}-email-hint`}>
          Others find you by this address. It is written into this computer’s certificate.
        </p>
        {errorText('email')}
      </div>

      <div className={`field${err('shareRoot') ? ' field--invalid' : ''}`}>
        <label className="field__label" htmlFor={`${formId}-shareRoot`}>
          Folder to share
        </label>
        <div className="field__row">
          <input
            id={`${formId}-shareRoot`}
            ref={(el) => {
              refs.current.shareRoot = el
            }}
            type="text"
            value={draft.shareRoot}
            onChange={(e) => set('shareRoot', e.target.value)}
            aria-invalid={err('shareRoot') ? true : undefined}
            aria-describedby={describedBy('shareRoot', true)}
            placeholder="/home/ada/Shared"
            spellCheck={false}
          />
          {info?.canChooseFolder ? (
            <button type="button" className="button" onClick={choose}>
              Choose…
            </button>
          ) : null}
        </div>
        <p className="field__hint" id={`${formId}-shareRoot-hint`}>
          Everything in this folder is visible to your visitors. Nothing outside it ever is.
        </p>
        {errorText('shareRoot')}
      </div>

      <div className="field-group">
        <div className={`field${err('trackerUrl') ? ' field--invalid' : ''}`}>
          <label className="field__label" htmlFor={`${formId}-trackerUrl`}>
            Tracker address
          </label>
          <input
            id={`${formId}-trackerUrl`}
            ref={(el) => {
              refs.current.trackerUrl = el
            }}
            type="url"
            value={draft.trackerUrl}
            onChange={(e) => set('trackerUrl', e.target.value)}
            aria-invalid={err('trackerUrl') ? true : undefined}
            aria-describedby={describedBy('trackerUrl', true)}
            placeholder="https://tracker.example.com:8443"
            spellCheck={false}
          />
          <p className="field__hint" id={`${formId}-trackerUrl-hint`}>
            The small server where peers find each other. Ask whoever runs it.
          </p>
          {errorText('trackerUrl')}
        </div>
        <div className={`field${err('trackerFingerprint') ? ' field--invalid' : ''}`}>
          <label className="field__label" htmlFor={`${formId}-trackerFingerprint`}>
            Tracker fingerprint <span className="field__optional">(optional)</span>
          </label>
          <input
            id={`${formId}-trackerFingerprint`}
            ref={(el) => {
              refs.current.trackerFingerprint = el
            }}
            type="text"
            value={draft.trackerFingerprint}
            onChange={(e) => set('trackerFingerprint', e.target.value)}
            aria-invalid={err('trackerFingerprint') ? true : undefined}
            aria-describedby={describedBy('trackerFingerprint', true)}
            placeholder="SHA-256, 64 hexadecimal digits"
            spellCheck={false}
            className="mono"
          />
          <p className="field__hint" id={`${formId}-trackerFingerprint-hint`}>
            Pins the tracker’s certificate so nobody can impersonate it. Leave empty if the tracker has a public certificate.
          </p>
          {errorText('trackerFingerprint')}
        </div>
      </div>

      <fieldset className={`field fieldset${err('access') ? ' field--invalid' : ''}`} aria-describedby={err('access') ? `${formId}-access-error` : undefined}>
        <legend className="field__label">Who may visit my house</legend>
        {(
          [
            ['open', 'Anyone who can reach it', 'Only when sharing with this computer alone.'],
            ['registered', 'Anyone registered on the tracker', 'Visitors prove who they are with their certificate.'],
            ['friends', 'Friends only', 'Only the people in your friends list.'],
          ] as const
        ).map(([value, label, hint]) => (
          <label key={value} className="choice">
            <input
              type="radio"
              name={`${formId}-access`}
              value={value}
              checked={draft.access === value}
              disabled={value === 'open' && draft.bindAll}
              onChange={() => set('access', value)}
              ref={
                value === draft.access
                  ? (el) => {
                      refs.current.access = el
                    }
                  : undefined
              }
            />
            <span>
              <span className="choice__label">{label}</span>
              <span className="choice__hint">{hint}</span>
            </span>
          </label>
        ))}
        {errorText('access')}
      </fieldset>

      <label className="choice choice--check">
        <input
          type="checkbox"
          checked={draft.bindAll}
          onChange={(e) => set('bindAll', e.target.checked)}
          ref={(el) => {
            refs.current.bindAll = el
          }}
        />
        <span>
          <span className="choice__label">Let other computers connect</span>
          <span className="choice__hint">Listen on every network of this computer, not only on this computer itself.</span>
        </span>
      </label>

      {serverProblem && !serverProblem.field ? (
        <p className="banner banner--bad" role="alert">
          <Icon name="alert" size={18} /> {serverProblem.message}
        </p>
      ) : null}

      <div className="settings-form__actions">
        <button type="submit" className="button button--primary button--large" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
      </div>
    </form>
  )
}
