/**
 * The words of the notice (toast) that follows a download started from a file view: it changes with the download
 * ("Downloading…" → "Downloaded" / "Could not download" / "cancelled") instead of repeating what was true at the start.
 */
import { type Download } from '@flashback/protocol'

export interface DownloadNotice {
  text: string
  tone: 'info' | 'ok' | 'bad'
  /** The download stopped moving (completed, failed or cancelled): the notice may go soon. */
  settled: boolean
  /** Progress while running, when the size is known. */
  percent: number | null
}

/** How long a settled notice stays (ms): long enough to read, short enough not to follow the user around. */
export const settledNoticeMs: Record<Exclude<Download['state'], 'running'>, number> = {
  completed: 5000,
  cancelled: 4000,
  failed: 10000,
}

export function describeDownloadNotice(d: Pick<Download, 'name' | 'state' | 'received' | 'total' | 'error'>): DownloadNotice {
  switch (d.state) {
    case 'running': {
      const percent = d.total ? Math.min(99, Math.floor((d.received / d.total) * 100)) : null
      return { text: `Downloading ${d.name}…`, tone: 'info', settled: false, percent }
    }
    case 'completed':
      return { text: `Downloaded ${d.name}`, tone: 'ok', settled: true, percent: null }
    case 'failed':
      return { text: `Could not download ${d.name}${d.error ? `: ${d.error}` : ''}`, tone: 'bad', settled: true, percent: null }
    case 'cancelled':
      return { text: `Download of ${d.name} cancelled`, tone: 'info', settled: true, percent: null }
  }
}
