/**
 * A folder's entries as a virtualised list: only the rows in view are in the DOM, so 10,000 entries scroll smoothly.
 * Keyboard: ↑/↓ move, Home/End, PageUp/PageDown, Enter opens, Backspace or Alt+↑ goes to the parent folder, typing
 * a name jumps to it. One row is tabbable at a time (roving tabindex), so Tab leaves the list in one step.
 */
import { useVirtualizer } from '@tanstack/react-virtual'
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react'
import { type FileEntry } from '@flashback/protocol'
import { formatBytes, formatRelativeTime } from '../lib/format.js'
import { previewKind } from '../lib/preview.js'
import { Icon, type IconName } from './icon.js'

export const ROW_HEIGHT = 44

export interface FileListProps {
  entries: readonly FileEntry[]
  /** Accessible name of the list, e.g. "Files in notes". */
  label: string
  /** Where a row leads; null makes the row informational (my own files). */
  hrefFor: (entry: FileEntry) => string | null
  hasMore: boolean
  loadingMore: boolean
  onLoadMore: () => void
  /** Backspace / Alt+↑. */
  onParent?: (() => void) | undefined
  /** Focus the first row when the list appears (after navigating into a folder with the keyboard). */
  autoFocus?: boolean
}

export function entryIcon(entry: FileEntry): IconName {
  if (entry.type === 'directory') return 'folder'
  const kind = previewKind(entry.name, entry.mime)
  return kind === 'download' ? 'file' : kind
}

export function FileList({ entries, label, hrefFor, hasMore, loadingMore, onLoadMore, onParent, autoFocus }: FileListProps) {
  const scrollRef = useRef<HTMLDivElement>(null)
  const listRef = useRef<HTMLUListElement>(null)
  const [active, setActive] = useState(0)
  const pendingFocus = useRef<number | null>(autoFocus ? 0 : null)
  const typeahead = useRef({ text: '', at: 0 })

  const virtualizer = useVirtualizer({
    count: entries.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  })
  const items = virtualizer.getVirtualItems()

  // Keep the active index inside the list when entries change (a new folder).
  useEffect(() => {
    setActive((a) => (entries.length === 0 ? 0 : Math.min(a, entries.length - 1)))
  }, [entries.length])

  // Ask for the next page when the user nears the end of what is loaded.
  const lastIndex = items.length > 0 ? (items[items.length - 1]?.index ?? 0) : 0
  useEffect(() => {
    if (hasMore && !loadingMore && lastIndex >= entries.length - 30) onLoadMore()
  }, [hasMore, loadingMore, lastIndex, entries.length, onLoadMore])

  const focusRow = useCallback((index: number) => {
    const el = listRef.current?.querySelector<HTMLElement>(`[data-index="${index}"] [data-row-focus]`)
    if (el) {
      el.focus({ preventScroll: true })
      return true
    }
    return false
  }, [])

  // After a keyboard move, focus the row once the virtualiser has rendered it.
  useLayoutEffect(() => {
    const target = pendingFocus.current
    if (target === null) return
    if (focusRow(target)) {
      pendingFocus.current = null
      return
    }
    const raf = requestAnimationFrame(() => {
      if (pendingFocus.current !== null && focusRow(pendingFocus.current)) pendingFocus.current = null
    })
    return () => cancelAnimationFrame(raf)
  })

  const move = (index: number) => {
    if (entries.length === 0) return
    const i = Math.max(0, Math.min(entries.length - 1, index))
    setActive(i)
    pendingFocus.current = i
    virtualizer.scrollToIndex(i, { align: 'auto' })
  }

  const pageSize = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? ROW_HEIGHT * 10) / ROW_HEIGHT) - 1)

  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>) => {
    if (e.ctrlKey || e.metaKey) return
    switch (e.key) {
      case 'ArrowDown':
        e.preventDefault()
        if (e.altKey) return
        move(active + 1)
        return
      case 'ArrowUp':
        e.preventDefault()
        if (e.altKey) onParent?.()
        else move(active - 1)
        return
      case 'Home':
        e.preventDefault()
        move(0)
        return
      case 'End':
        e.preventDefault()
        move(entries.length - 1)
        return
      case 'PageDown':
        e.preventDefault()
        move(active + pageSize)
        return
      case 'PageUp':
        e.preventDefault()
        move(active - pageSize)
        return
      case 'Backspace':
        if (onParent) {
          e.preventDefault()
          onParent()
        }
        return
      default:
        if (e.key.length === 1 && !e.altKey && e.key !== ' ') {
          const now = e.timeStamp
          const t = typeahead.current
          t.text = now - t.at > 800 ? e.key.toLowerCase() : t.text + e.key.toLowerCase()
          t.at = now
          const from = t.text.length === 1 ? active + 1 : active
          const n = entries.length
          for (let k = 0; k < n; k++) {
            const i = (from + k) % n
            if (entries[i]?.name.toLowerCase().startsWith(t.text)) {
              move(i)
              break
            }
          }
        }
    }
  }

  const activeRendered = items.some((it) => it.index === active)
  const tabbable = activeRendered ? active : (items[0]?.index ?? 0)

  return (
    <div className="file-list">
      <div className="file-list__head" aria-hidden="true">
        <span>Name</span>
        <span className="file-list__num">Size</span>
        <span>Modified</span>
      </div>
      <div className="file-list__scroller" ref={scrollRef}>
        <ul
          ref={listRef}
          className="file-list__rows"
          aria-label={label}
          onKeyDown={onKeyDown}
          style={{ height: `${virtualizer.getTotalSize()}px` }}
        >
          {items.map((item) => {
            const entry = entries[item.index] as FileEntry
            const href = hrefFor(entry)
            const focusProps = {
              'data-row-focus': true,
              tabIndex: item.index === tabbable ? 0 : -1,
              onFocus: () => setActive(item.index),
            }
            return (
              <li
                key={entry.path}
                data-index={item.index}
                className={`file-row${entry.type === 'directory' ? ' file-row--folder' : ''}${item.index === active ? ' file-row--active' : ''}`}
                aria-setsize={hasMore ? -1 : entries.length}
                aria-posinset={item.index + 1}
                style={{ transform: `translateY(${item.start}px)` }}
              >
                <span className="file-row__name">
                  <Icon name={entryIcon(entry)} size={18} className="file-row__icon" />
                  {href ? (
                    <a href={href} className="file-row__link" {...focusProps}>
                      {entry.name}
                    </a>
                  ) : (
                    <span className="file-row__link file-row__link--static" {...focusProps}>
                      {entry.name}
                    </span>
                  )}
                </span>
                <span className="file-list__num file-row__meta">{entry.type === 'directory' ? '—' : formatBytes(entry.size)}</span>
                <span className="file-row__meta" title={entry.mtime}>
                  {formatRelativeTime(entry.mtime)}
                </span>
              </li>
            )
          })}
        </ul>
        {loadingMore ? (
          <div className="file-list__more" role="status">
            <span className="spinner spinner--small" aria-hidden="true" /> Loading more…
          </div>
        ) : null}
      </div>
    </div>
  )
}
