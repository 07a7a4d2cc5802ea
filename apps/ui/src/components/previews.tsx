/** The previewers of a peer's file: text, pictures, video/audio (seekable: the remote-bytes URL passes Range on). */
import { useState } from 'react'
import { Icon } from './icon.js'
import { Loading } from './states.js'

export function TextView({ text, label }: { text: string; label: string }) {
  return (
    <pre className="text-preview" aria-label={label} tabIndex={0}>
      <code>{text}</code>
    </pre>
  )
}

export function ImageView({ src, name }: { src: string; name: string }) {
  const [phase, setPhase] = useState<'loading' | 'ready' | 'error'>('loading')
  return (
    <figure className="image-preview">
      {phase === 'loading' ? <Loading label={`Loading ${name}…`} /> : null}
      {phase === 'error' ? <p className="preview-note" role="alert">This picture could not be loaded. You can still download it.</p> : null}
      <img
        src={src}
        alt={name}
        className={phase === 'ready' ? 'is-ready' : 'is-pending'}
        onLoad={() => setPhase('ready')}
        onError={() => setPhase('error')}
      />
    </figure>
  )
}

export function MediaView({ src, name, kind }: { src: string; name: string; kind: 'video' | 'audio' }) {
  const [failed, setFailed] = useState(false)
  return (
    <div className={`media-preview media-preview--${kind}`}>
      {kind === 'video' ? (
        <video src={src} controls preload="metadata" aria-label={name} onError={() => setFailed(true)} />
      ) : (
        <div className="audio-card">
          <span className="audio-card__art" aria-hidden="true">
            <Icon name="audio" size={40} />
          </span>
          <audio src={src} controls preload="metadata" aria-label={name} onError={() => setFailed(true)} />
        </div>
      )}
      {failed ? (
        <p className="preview-note" role="alert">
          This {kind} cannot be played here (the format may not be supported). You can still download it.
        </p>
      ) : null}
    </div>
  )
}

export function NoPreview({ name, reason, onDownload }: { name: string; reason: string; onDownload: () => void }) {
  return (
    <div className="no-preview">
      <span className="no-preview__icon" aria-hidden="true">
        <Icon name="file" size={44} />
      </span>
      <p className="no-preview__title">{name}</p>
      <p className="no-preview__reason">{reason}</p>
      <button type="button" className="button button--primary" onClick={onDownload}>
        <Icon name="download" size={16} /> Download {name}
      </button>
    </div>
  )
}
