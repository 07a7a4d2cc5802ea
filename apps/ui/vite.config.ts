/**
 * The renderer build. Relative `base` so the same dist loads from Electron (file or custom protocol) and from web
 * mode's `/`. The built index.html carries a strict Content-Security-Policy; `vite` dev answers the bridge routes
 * with the in-memory fake (dev/dev-fake.ts), so the UI runs without a peer.
 */
import { defineConfig, type Plugin } from 'vite'
import react from '@vitejs/plugin-react'
import { type IncomingMessage, type ServerResponse } from 'node:http'

/** What dev/dev-fake.ts exports (loaded through Vite so its TypeScript imports resolve like the app's). */
interface DevFake {
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>
}

/** No inline script, no eval; pictures and media from the app itself or the remote-bytes protocol. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: flashback:",
  "media-src 'self' flashback:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ')

function contentSecurityPolicy(): Plugin {
  return {
    name: 'flashback-csp',
    apply: 'build',
    transformIndexHtml: (html) =>
      html.replace(
        '<meta charset="UTF-8" />',
        `<meta charset="UTF-8" />\n    <meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}" />`,
      ),
  }
}

function fakeBridge(): Plugin {
  return {
    name: 'flashback-fake-bridge',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = req.url ?? ''
        if (!url.startsWith('/api/') && !url.startsWith('/remote/')) return next()
        server
          .ssrLoadModule('/dev/dev-fake.ts')
          .then(async (mod) => {
            const handled = await (mod as DevFake).handle(req, res)
            if (!handled) next()
          })
          .catch(next)
      })
    },
  }
}

export default defineConfig({
  base: './',
  plugins: [react(), contentSecurityPolicy(), fakeBridge()],
  // tap hoists React 18 to the repository root, where react-markdown resolves it: force our one React 19.
  resolve: { dedupe: ['react', 'react-dom'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One small app: keep the chunk warning quiet but honest.
    chunkSizeWarningLimit: 800,
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
})
