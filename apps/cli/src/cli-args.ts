/**
 * Argument helpers shared by the commands: strict parsing (an unknown flag is a usage error, never ignored),
 * the profile folder, and `EMAIL[:/path]` targets.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { CONFIG_FILE, normalizeSharePath, RuntimeError } from '@flashback/peer'
import { usageError } from './cli-error.js'

type Options = NonNullable<ParseArgsConfig['options']>

/** The `--profile` flag every peer-side command takes. */
export const profileOption = { profile: { type: 'string' } } as const satisfies Options
/** `--json` for commands with a machine-readable output. */
export const jsonOption = { json: { type: 'boolean' } } as const satisfies Options

/** `parseArgs` in strict mode with positionals; errors point at the command's help. */
export function parse<O extends Options>(argv: string[], options: O, command: string, opts: { allowNegative?: boolean } = {}) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true, allowNegative: opts.allowNegative ?? false })
  } catch (err) {
    const message = ((err as Error).message.split('\n')[0] ?? '').replace(/\. To specify a positional argument.*$/, '').replace(/\.$/, '')
    throw usageError(`${message} (see \`flashback ${command} --help\`)`)
  }
}

/**
 * The profile folder: `--profile DIR`, else `FLASHBACK_PROFILE`, made absolute. One-shot commands need an existing
 * profile (a typo must not silently create a new, empty one): `mustExist`.
 */
export function profileDir(value: string | undefined, env: NodeJS.ProcessEnv, mustExist: boolean): string {
  const given = value ?? env.FLASHBACK_PROFILE
  if (!given) throw usageError('--profile DIR is required (the folder that holds this peer’s identity and settings; FLASHBACK_PROFILE works too)')
  const dir = resolve(given)
  if (mustExist && !existsSync(join(dir, CONFIG_FILE))) {
    throw usageError(`no peer profile in ${dir}: set one up first with \`flashback peer --profile ${given} --email ADDR --share DIR --tracker URL --tracker-fingerprint SHA256\``)
  }
  return dir
}

export interface Target {
  email: string
  /** Path in the peer's share, '' for its root, no leading slash. */
  path: string
}

/** `alice@example.com`, `alice@example.com:/notes/plan.md` or `alice@example.com:notes` → e-mail and share path. */
export function parseTarget(value: string | undefined, what: string, opts: { requirePath: boolean }): Target {
  if (!value) throw usageError(`missing ${what}`)
  const colon = value.indexOf(':')
  const email = (colon === -1 ? value : value.slice(0, colon)).trim()
  const rawPath = colon === -1 ? '' : value.slice(colon + 1)
  if (!/^[^\s@:/]+@[^\s@:/]+$/.test(email) || email.length > 254) {
    throw usageError(`${JSON.stringify(value)} does not start with an e-mail address (expected ${what})`)
  }
  let path: string
  try {
    path = normalizeSharePath(rawPath)
  } catch (err) {
    if (err instanceof RuntimeError) throw usageError(err.message)
    throw err
  }
  if (opts.requirePath && path === '') throw usageError(`${JSON.stringify(value)} names no file (expected ${what}, e.g. ${email}:/notes/plan.md)`)
  return { email, path }
}

/** A TCP port flag: an integer 0–65535. */
export function parsePort(value: string, flag: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw usageError(`${flag} must be a port number from 0 to 65535, not ${JSON.stringify(value)}`)
  return Number(value)
}

/** At most `max` positionals, else a usage error. */
export function expectPositionals(positionals: string[], max: number, command: string): void {
  if (positionals.length > max) throw usageError(`unexpected argument ${JSON.stringify(positionals[max])} (see \`flashback ${command} --help\`)`)
}
