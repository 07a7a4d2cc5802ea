// Flat config: typescript-eslint's recommended rules plus the project's import boundaries.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

const nodeBuiltins = [
  'node:*', 'fs', 'fs/*', 'path', 'os', 'crypto', 'http', 'https', 'net', 'tls', 'dgram', 'child_process',
  'stream', 'stream/*', 'url', 'util', 'events', 'worker_threads', 'zlib', 'buffer', 'process',
]
const apps = ['@flashback/cli', '@flashback/cli/*', '@flashback/ui', '@flashback/ui/*', '@flashback/desktop', '@flashback/desktop/*', '**/apps/**']
const services = ['@flashback/tracker', '@flashback/tracker/*', '@flashback/peer', '@flashback/peer/*', '**/services/**']
const ui = ['electron', 'electron/*', 'react', 'react-dom', 'react/*', 'react-dom/*']

const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
})

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/.tap/**', '**/coverage/**', 'test-output/**', '**/test-output/**', 'bench/results/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  {
    // The wire and bridge contracts run everywhere: in Node, in Electron's renderer and in browsers.
    files: ['shared/protocol/src/**'],
    rules: restrict([...nodeBuiltins, ...ui, ...apps, ...services, '@flashback/identity'], 'shared/protocol is platform-free: no node:, electron, React, apps or services.'),
  },
  {
    files: ['shared/identity/src/**'],
    rules: restrict([...ui, ...apps, ...services], 'shared/identity imports no electron, React, apps or services.'),
  },
  {
    files: ['services/**'],
    rules: restrict([...ui, ...apps], 'services never import apps, electron or React: they are libraries the apps stand on.'),
  },
  {
    // The renderer only talks to FlashbackApi: no disk, no sockets, no Electron.
    files: ['apps/ui/src/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrict([...nodeBuiltins, 'electron', 'electron/*', ...services, '@flashback/identity', '@flashback/cli', '@flashback/desktop'], 'the renderer talks only to FlashbackApi: no node:, electron, services or identity.'),
  },
)
