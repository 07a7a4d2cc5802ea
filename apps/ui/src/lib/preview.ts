/** Which previewer shows a file, from its MIME type (as the peer reported it) and its name. */
import { extensionOf } from './paths.js'

export type PreviewKind = 'markdown' | 'text' | 'image' | 'video' | 'audio' | 'download'

const markdownExt = new Set(['md', 'markdown', 'mdown', 'mkd'])
const textExt = new Set([
  'txt', 'text', 'log', 'csv', 'tsv', 'json', 'yaml', 'yml', 'toml', 'ini', 'conf', 'cfg', 'xml', 'html', 'htm', 'css',
  'js', 'mjs', 'cjs', 'ts', 'tsx', 'jsx', 'py', 'rb', 'go', 'rs', 'c', 'h', 'cpp', 'hpp', 'java', 'kt', 'swift', 'sh',
  'bash', 'zsh', 'sql', 'srt', 'vtt', 'tex', 'rst', 'org', 'diff', 'patch',
])
// Formats Chromium decodes; others are offered for download.
const imageExt = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'bmp', 'ico', 'svg'])
const browserImageTypes = new Set([
  'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp', 'image/svg+xml', 'image/x-icon',
])
const videoExt = new Set(['mp4', 'm4v', 'webm', 'ogv', 'mov'])
const audioExt = new Set(['mp3', 'm4a', 'aac', 'ogg', 'oga', 'opus', 'wav', 'flac', 'weba'])

export function previewKind(name: string, mime?: string | null): PreviewKind {
  const ext = extensionOf(name)
  const type = (mime ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  if (markdownExt.has(ext) || type === 'text/markdown') return 'markdown'
  if (imageExt.has(ext) || browserImageTypes.has(type)) return 'image'
  // TIFF, HEIC and other pictures Chromium cannot show.
  if (type.startsWith('image/')) return 'download'
  if (type.startsWith('video/') || videoExt.has(ext)) return 'video'
  if (type.startsWith('audio/') || audioExt.has(ext)) return 'audio'
  if (type.startsWith('text/') || textExt.has(ext) || type === 'application/json' || type === 'application/xml') return 'text'
  return 'download'
}

/** A short human name of the file type for the details line. */
export function describeType(name: string, mime?: string | null, isFolder = false): string {
  if (isFolder) return 'Folder'
  const kind = previewKind(name, mime)
  const lower = extensionOf(name)
  // Keep a mixed-case extension as written (AppImage), upper-case the usual ones (PNG, MP4).
  const written = name.slice(name.length - lower.length)
  const ext = written !== lower && written !== lower.toUpperCase() ? written : lower.toUpperCase()
  switch (kind) {
    case 'markdown':
      return 'Markdown document'
    case 'text':
      return ext ? `${ext} text` : 'Text'
    case 'image':
      return ext ? `${ext} image` : 'Image'
    case 'video':
      return ext ? `${ext} video` : 'Video'
    case 'audio':
      return ext ? `${ext} audio` : 'Audio'
    default:
      return ext ? `${ext} file` : 'File'
  }
}
