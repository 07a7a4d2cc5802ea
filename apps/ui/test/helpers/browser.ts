/**
 * Browser test helpers: Debian Chromium through playwright-core, the built UI served with the fake bridge and a
 * strict CSP, and a check that the page logs no CSP violation or uncaught error.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { createFakeApi, type FakeApiOptions, type FakeFlashbackApi } from '../../src/api/fake-api.js'
import { startUiServer, type FakeBridgeOptions, type UiServer } from '../../dev/fake-bridge.js'

export const uiRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const distDir = join(uiRoot, 'dist')
export const outputDir = join(uiRoot, 'test-output')
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** The same policy the built index.html carries, sent as a header too (as web mode would). */
export const TEST_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'; frame-ancestors 'none'"

export const chromiumAvailable = (): boolean => existsSync(CHROMIUM)

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  return Math.max(st.mtimeMs, ...readdirSync(path).map((n) => newestMtime(join(path, n))))
}

/** Builds the UI when dist is missing or older than its sources (a clean clone's `prepare` already built it). */
export function ensureBuilt(): void {
  const built = existsSync(join(distDir, 'index.html')) ? statSync(join(distDir, 'index.html')).mtimeMs : 0
  const sources = [join(uiRoot, 'src'), join(uiRoot, 'index.html'), join(uiRoot, 'vite.config.ts'), join(uiRoot, 'public'), join(uiRoot, '..', '..', 'shared', 'protocol', 'src')]
  if (built > 0 && Math.max(...sources.map(newestMtime)) <= built) return
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: uiRoot, stdio: 'inherit' })
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
    ],
  })
}

export interface UiHarness {
  fake: FakeFlashbackApi
  server: UiServer
  /** Problems the page reported: CSP violations, uncaught errors, console errors. */
  problems: string[]
  remoteRequests: { email: string; path: string; range: string | undefined; status: number }[]
  page: Page
  close(): Promise<void>
}

export async function openUi(
  browser: Browser,
  options: { fake?: FakeApiOptions; bridge?: FakeBridgeOptions; colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number }; hash?: string; query?: string } = {},
): Promise<UiHarness> {
  const fake = createFakeApi({ ...options.fake })
  const remoteRequests: UiHarness['remoteRequests'] = []
  const server = await startUiServer({
    root: distDir,
    fake,
    csp: TEST_CSP,
    ...options.bridge,
    onRemote: (r) => remoteRequests.push(r),
  })
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
    deviceScaleFactor: 1,
    reducedMotion: 'reduce',
  })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`)
  })
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`)
    })
  })
  await page.goto(`${server.url}${options.query ?? ''}${options.hash ?? ''}`)
  return {
    fake,
    server,
    problems,
    remoteRequests,
    page,
    async close() {
      await context.close()
      fake.control.close()
      await server.close()
    },
  }
}

export function screenshotPath(name: string): string {
  mkdirSync(outputDir, { recursive: true })
  return join(outputDir, `${name}.png`)
}

/** A few seconds of real WebM video (VP8), recorded from a canvas by Chromium's MediaRecorder. */
export async function recordWebm(browser: Browser, seconds = 3): Promise<Uint8Array> {
  const page = await browser.newPage()
  try {
    const b64 = await page.evaluate(async (ms) => {
      const canvas = document.createElement('canvas')
      canvas.width = 640
      canvas.height = 360
      const g = canvas.getContext('2d') as CanvasRenderingContext2D
      const recorder = new MediaRecorder(canvas.captureStream(15), { mimeType: 'video/webm;codecs=vp8' })
      const chunks: Blob[] = []
      recorder.ondataavailable = (e) => chunks.push(e.data)
      let frame = 0
      const draw = setInterval(() => {
        const grad = g.createLinearGradient(0, 0, 640, 360)
        grad.addColorStop(0, `hsl(${(frame * 4) % 360} 70% 55%)`)
        grad.addColorStop(1, `hsl(${(frame * 4 + 120) % 360} 70% 35%)`)
        g.fillStyle = grad
        g.fillRect(0, 0, 640, 360)
        g.fillStyle = '#fff'
        g.font = 'bold 64px sans-serif'
        g.fillText(`Harbour ${(frame / 15).toFixed(1)} s`, 110, 200)
        frame++
      }, 66)
      recorder.start(250)
      await new Promise((r) => setTimeout(r, ms))
      recorder.stop()
      clearInterval(draw)
      await new Promise((r) => (recorder.onstop = r))
      const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer())
      let text = ''
      for (const b of bytes) text += String.fromCharCode(b)
      return btoa(text)
    }, seconds * 1000)
    return new Uint8Array(Buffer.from(b64, 'base64'))
  } finally {
    await page.close()
  }
}
