/** Numbers and dates for people. Pure and locale-stable (English, like the rest of the UI). */

const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB']

/** 1536 → "1.5 KB" (binary multiples, as file managers show them). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—'
  if (bytes < 1024) return `${Math.round(bytes)} B`
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 1
  return `${value.toFixed(digits).replace(/\.0$/, '')} ${units[unit]}`
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`
}

/** 75 → "1 min 15 s"; 3700 → "1 h 2 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—'
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`
  const h = Math.floor(m / 60)
  return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`
}

export interface ProgressView {
  /** 0..100, or null when the total is unknown. */
  percent: number | null
  /** "1.5 MB of 4 MB" or "1.5 MB" when the total is unknown. */
  amount: string
  /** "300 KB/s · 8 s left", or '' when not measurable. */
  speed: string
}

/** How far a download is, in words. */
export function formatProgress(received: number, total: number | null, bytesPerSecond?: number): ProgressView {
  const known = total !== null && total > 0
  const percent = known ? Math.min(100, Math.max(0, Math.floor((received / total) * 100))) : total === 0 ? 100 : null
  const amount = known ? `${formatBytes(received)} of ${formatBytes(total)}` : formatBytes(received)
  let speed = ''
  if (bytesPerSecond !== undefined && bytesPerSecond > 0) {
    speed = formatRate(bytesPerSecond)
    if (known && total > received) speed += ` · ${formatDuration((total - received) / bytesPerSecond)} left`
  }
  return { percent, amount, speed }
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", or a date for older ones. `now` is injectable for tests. */
export function formatRelativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return 'never'
  const then = Date.parse(iso)
  if (Number.isNaN(then)) return 'unknown'
  const seconds = Math.round((now - then) / 1000)
  if (seconds < -60) return formatDate(iso)
  if (seconds < 45) return 'just now'
  const minutes = Math.round(seconds / 60)
  if (minutes < 60) return `${minutes} min ago`
  const hours = Math.round(minutes / 60)
  if (hours < 24) return `${hours} h ago`
  const days = Math.round(hours / 24)
  if (days < 14) return days === 1 ? 'yesterday' : `${days} days ago`
  return formatDate(iso)
}

/** "3 Mar 2025, 14:05" in the user's time zone. */
export function formatDate(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  return d.toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' })
}

/** A long fingerprint grouped for reading: "ab12 cd34 …". */
export function formatFingerprint(fp: string): string {
  return (fp.match(/.{1,4}/g) ?? []).join(' ')
}

/** "1 file", "2 folders". */
export function plural(count: number, one: string, many: string = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`
}
