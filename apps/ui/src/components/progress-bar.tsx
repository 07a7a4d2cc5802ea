/** An accessible progress bar; indeterminate when `percent` is null. */
export function ProgressBar({ percent, label, tone = 'accent' }: { percent: number | null; label: string; tone?: 'accent' | 'muted' | 'bad' | 'ok' }) {
  return (
    <div
      className={`progress progress--${tone}${percent === null ? ' progress--indeterminate' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent ?? undefined}
    >
      <div className="progress__bar" style={percent === null ? undefined : { width: `${percent}%` }} />
    </div>
  )
}
