/**
 * The peer file server's HTTP API (services/peer), as other peers, browsers and the bridge see it.
 */
import { Type, type Static } from 'typebox'

export const FILES_DEFAULT_LIMIT = 1000
export const FILES_MAX_LIMIT = 10000
/** `/content/<path>` serves text files up to this size; larger ones go through `/download`. */
export const CONTENT_MAX_BYTES = 10 * 1024 * 1024

export const AccessPolicy = Type.Union([Type.Literal('open'), Type.Literal('registered'), Type.Literal('friends')])
export type AccessPolicy = Static<typeof AccessPolicy>

export const PeerHealthReply = Type.Object({
  status: Type.Literal('ok'),
  email: Type.String(),
  fingerprint: Type.String({ pattern: '^[0-9a-f]{64}$' }),
})
export type PeerHealthReply = Static<typeof PeerHealthReply>

export const FileEntry = Type.Object({
  name: Type.String(),
  /** Path from the share root, '/'-separated, without a leading slash. */
  path: Type.String(),
  type: Type.Union([Type.Literal('file'), Type.Literal('directory')]),
  size: Type.Integer({ minimum: 0 }),
  mtime: Type.String({ format: 'date-time' }),
  /** MIME type by extension; 'inode/directory' for folders. */
  mime: Type.String(),
})
export type FileEntry = Static<typeof FileEntry>

export const FilesQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: FILES_MAX_LIMIT, default: FILES_DEFAULT_LIMIT })),
    cursor: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
)
export type FilesQuery = Static<typeof FilesQuery>

export const FileListing = Type.Object({
  /** The listed folder's path from the share root ('' for the root). */
  path: Type.String(),
  entries: Type.Array(FileEntry),
  /** Present when more entries remain: pass it back as `?cursor=` (also given as a Link rel="next" header). */
  next_cursor: Type.Optional(Type.String()),
})
export type FileListing = Static<typeof FileListing>
