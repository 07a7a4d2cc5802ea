/**
 * The peer file server's HTTP API (services/peer), as other peers, browsers and the bridge see it.
 * This file is the single source of truth for its routes, limits and bodies.
 */
import { Type, type Static } from 'typebox'
import { ErrorBody } from './errors.js'

/** The peer server's routes. `<path>` is the share-relative path, one percent-encoded segment per folder level. */
export const PEER_ROUTES = {
  health: '/health',
  /** `/api/files` lists the share root, `/api/files/<path>` a folder in it. */
  files: '/api/files',
  /** `/content/<path>`: a text file as text (UTF-8, at most CONTENT_MAX_BYTES). */
  content: '/content',
  /** `/download/<path>`: any file, streamed, with ranges and conditional requests. */
  download: '/download',
} as const

export const FILES_DEFAULT_LIMIT = 1000
export const FILES_MAX_LIMIT = 10000
/** `/content/<path>` serves text files up to this size; larger ones go through `/download`. */
export const CONTENT_MAX_BYTES = 10 * 1024 * 1024
/** Longest request path (after the route prefix, still percent-encoded) the server looks at. */
export const PEER_MAX_PATH_CHARS = 4096
/** A single name (one path segment) longer than this in UTF-8 bytes is refused: no file system has one. */
export const PEER_MAX_NAME_BYTES = 255
/** A Range header with more ranges than this is ignored (the whole file is sent), as RFC 9110 allows. */
export const PEER_MAX_RANGES = 100

export const AccessPolicy = Type.Union([Type.Literal('open'), Type.Literal('registered'), Type.Literal('friends')])
export type AccessPolicy = Static<typeof AccessPolicy>

/** Error codes only the peer server uses (the shared ones are in ErrorCode). */
export const PeerErrorCode = {
  /** `/download` or `/content` of a folder. */
  notAFile: 'not_a_file',
  /** 416: no requested range overlaps the file. */
  rangeNotSatisfiable: 'range_not_satisfiable',
  /** 412: an If-Match / If-Unmodified-Since precondition failed. */
  preconditionFailed: 'precondition_failed',
  /** 405: only GET and HEAD exist. */
  methodNotAllowed: 'method_not_allowed',
} as const
export type PeerErrorCode = (typeof PeerErrorCode)[keyof typeof PeerErrorCode]

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
  /** Bytes for files; 0 for folders. */
  size: Type.Integer({ minimum: 0 }),
  mtime: Type.String({ format: 'date-time' }),
  /** MIME type by extension ('application/octet-stream' when unknown); 'inode/directory' for folders. */
  mime: Type.String(),
})
export type FileEntry = Static<typeof FileEntry>

export const FilesQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: FILES_MAX_LIMIT, default: FILES_DEFAULT_LIMIT })),
    /** Opaque: the `next_cursor` of the previous page. */
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  },
  { additionalProperties: false },
)
export type FilesQuery = Static<typeof FilesQuery>

export const FileListing = Type.Object({
  /** The listed folder's path from the share root ('' for the root). */
  path: Type.String(),
  /** Folders first, then files; each group by name (case-insensitively, then by code point). */
  entries: Type.Array(FileEntry),
  /** Present when more entries remain: pass it back as `?cursor=` (also given as a Link rel="next" header). */
  next_cursor: Type.Optional(Type.String()),
})
export type FileListing = Static<typeof FileListing>

/** 413 from `/content/<path>`: the file is too large to preview; `download` is where to get it. */
export const ContentTooLargeBody = Type.Object({
  error: Type.Literal('too_large'),
  message: Type.String(),
  /** The `/download/<path>` URL path of the same file. */
  download: Type.String(),
  size: Type.Integer({ minimum: 0 }),
  limit: Type.Integer({ minimum: 0 }),
})
export type ContentTooLargeBody = Static<typeof ContentTooLargeBody>

/** Every error the peer server sends has this shape (plus, for 413 on /content, ContentTooLargeBody's fields). */
export const PeerErrorBody = ErrorBody
export type PeerErrorBody = ErrorBody

/** What the peer server announces once it listens (the runtime forwards port and addresses to the tracker). */
export const PeerServerReady = Type.Object({
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  /** Non-loopback addresses of this machine when bound to all interfaces, else ['127.0.0.1']. */
  addresses: Type.Array(Type.String()),
})
export type PeerServerReady = Static<typeof PeerServerReady>
