/** Human output: sizes, dates and aligned tables (plain text; colour only where a terminal shows it). */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

/** 1536 → "1.5 KiB"; exact bytes below 1 KiB. */
export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`
}

/** An ISO date as `2026-11-22 14:03` (local time): short and sortable. */
export function formatDate(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** Seconds as "59 min" / "2 h" / "40 s". */
export function formatDuration(seconds: number): string {
  if (seconds >= 7200) return `${Math.round(seconds / 3600)} h`
  if (seconds >= 120) return `${Math.round(seconds / 60)} min`
  return `${seconds} s`
}

/** The first 16 hex digits of a fingerprint, enough to tell certificates apart at a glance. */
export function shortFingerprint(fingerprint: string): string {
  return `${fingerprint.slice(0, 16)}…`
}

/** Rows under a header, columns padded to the widest cell; `align` 'right' for numbers. */
export function table(header: string[], rows: string[][], align: ('left' | 'right')[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i] ?? 0) : i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n') + '\n'
}
