/**
 * Web mode in a real browser: Debian's Chromium (playwright-core, never a downloaded browser) against bob's web UI,
 * with a real tracker and two real peers in this process. Bob sees alice online, befriends her, visits her house,
 * reads index.md and follows its link, looks at a picture, plays and seeks a video (the /remote proxy sees Range),
 * downloads a file (same bytes), finds a file alice published to the tracker's registry by searching its name and
 * downloads it (same bytes) and opens its folder, publishes his own share from Settings (progress, then the count),
 * opens a hostile markdown file (nothing runs), and sees alice go offline when she stops. Screenshots of the main screens land in apps/cli/test-output/.
 *
 * Runs when /usr/bin/chromium exists; skips with a message otherwise, unless E2E_REQUIRED=1 (CI), which fails.
 * Fixtures: fixtures/clip.webm (6 s VP8, a keyframe every 8 frames, with cues: seekable) and fixtures/picture.png,
 * made once with ffmpeg's test sources:
 *   ffmpeg -f lavfi -i testsrc2=size=320x180:rate=15:duration=6 -c:v libvpx -b:v 120k -g 8 -keyint_min 8 -an clip.webm
 *   ffmpeg -f lavfi -i testsrc2=size=480x270:rate=1:duration=1 -frames:v 1 picture.png
 */
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { startWebUi, type RemoteRequestInfo } from '../../src/web/index.js'
import { makePeer, patternBytes, startTestTracker } from '../helpers/peers.js'

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = join(here, '..', '..', '..', '..')
const uiDir = join(repoRoot, 'apps', 'ui', 'dist')
const outputDir = join(here, '..', '..', 'test-output')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const required = process.env.E2E_REQUIRED === '1'
const available = existsSync(CHROMIUM)
/** Bob health-checks his friends this often: alice must show offline within it (plus the check itself). */
const FRIEND_CHECK_MS = 1000

// The page's objects, typed by hand: the workspace compiles without the DOM library (it is Node code).
interface ImageLike {
  complete: boolean
  naturalWidth: number
}
interface VideoLike {
  muted: boolean
  currentTime: number
  duration: number
  readyState: number
  currentSrc: string
  error: { code: number } | null
  play(): Promise<void>
  pause(): void
  addEventListener(type: string, listener: () => void, options?: { once: boolean }): void
}
type PageGlobals = { location: { hash: string }; __pwned?: unknown }

const ALICE = 'alice@example.com'
const HOUSE = `${ALICE}’s house`

const HOSTILE_MARKDOWN = `# Hostile notes

<script>window.__pwned = 'script'</script>

<img src="x" onerror="window.__pwned = 'onerror'">

[Click me](javascript:window.__pwned='link')

[Data link](data:text/html,<script>window.__pwned='data'</script>)

<a href="javascript:window.__pwned='raw-anchor'">Raw anchor</a>

<iframe src="javascript:window.__pwned='iframe'"></iframe>

<svg onload="window.__pwned='svg'"></svg>

Plain text after the traps.
`

function screenshotPath(name: string): string {
  mkdirSync(outputDir, { recursive: true })
  return join(outputDir, `web-${name}.png`)
}

async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
}

/** Polls `check` until it holds (the machine is shared and slow at times: generous limits, no timing asserts). */
async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const skip = !available && !required ? `${CHROMIUM} is missing (apt-get install chromium; CI sets E2E_REQUIRED=1 to require it)` : false
if (skip) t.comment(`browser tests SKIPPED: ${skip}`)

t.test('bob uses web mode in Chromium against a real tracker and alice', { timeout: 180_000, skip }, async (t) => {
  t.ok(available, `Chromium is at ${CHROMIUM} (E2E_REQUIRED=1 needs it)`)
  if (!available) return
  if (!existsSync(join(uiDir, 'index.html'))) {
    execFileSync('npm', ['run', 'build', '-w', '@flashback/ui'], { cwd: repoRoot, stdio: 'inherit' })
  }

  // ---- two peers and a tracker ----
  const tracker = await startTestTracker(t)
  const base = t.testdir()
  const archive = patternBytes(1_500_000, 11)
  const survey = patternBytes(900_000, 13)
  const alice = await makePeer(t, base, tracker, ALICE, {
    files: {
      'index.md': `# Alice's house\n\nWelcome! Read [the plan](notes/plan.md) first.\n\n![The harbour](pictures/harbour.png)\n`,
      'notes/plan.md': '# The plan\n\nShare one folder with the people you choose, browse it, download what you need.\n',
      'pictures/harbour.png': await readFile(join(here, 'fixtures', 'picture.png')),
      'videos/clip.webm': await readFile(join(here, 'fixtures', 'clip.webm')),
      'files/archive.bin': archive,
      'data/harbour-survey.bin': survey,
      'hostile.md': HOSTILE_MARKDOWN,
    },
  })
  const bob = await makePeer(t, base, tracker, 'bob@example.com', {
    files: { 'index.md': "# Bob's corner\n\nNothing much yet.\n", 'songs/list.txt': 'one\ntwo\n' },
    timing: { friendCheckIntervalMs: FRIEND_CHECK_MS, friendCheckTimeoutMs: 3000, connectTimeoutMs: 2000 },
  })
  await alice.runtime.start({ requireTracker: true })
  await bob.runtime.start({ requireTracker: true })

  const remote: RemoteRequestInfo[] = []
  const web = await startWebUi({
    runtime: bob.runtime,
    port: 0,
    uiDir,
    bridgeOptions: { peersRefreshIntervalMs: 1000 },
    onRemoteRequest: (info) => remote.push(info),
  })
  t.teardown(() => web.close())

  // ---- the browser, watching for anything a hostile file could make happen ----
  const browser = await launch()
  t.teardown(() => browser.close())
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, reducedMotion: 'reduce' })
  const page: Page = await context.newPage()
  const dialogs: string[] = []
  const problems: string[] = []
  const popups: string[] = []
  const documents: string[] = []
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`)
    void d.dismiss()
  })
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`)
  })
  context.on('page', (p) => p !== page && popups.push(p.url()))
  page.on('framenavigated', (f) => f === page.mainFrame() && documents.push(f.url().replace(/#.*$/, '')))
  await page.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`))",
  })

  await page.goto(web.url)
  const origin = `http://127.0.0.1:${web.port}`
  await until(async () => !(await page.evaluate(() => (globalThis as unknown as PageGlobals).location.hash)).includes('token'), 10_000, 'the token to leave the address bar')
  t.pass('the page traded the token and removed it from the address')

  // ---- peers: alice online, then a friend ----
  await page.getByRole('heading', { name: 'Peers' }).waitFor()
  const peers = page.getByRole('list', { name: 'Peers' })
  const aliceRow = peers.getByRole('listitem', { name: ALICE })
  await aliceRow.filter({ hasText: 'Online' }).waitFor({ timeout: 15_000 })
  t.pass("bob's UI lists alice as online")
  await page.getByRole('button', { name: `Add ${ALICE} as a friend` }).click()
  await page.getByRole('button', { name: `Remove ${ALICE} from friends` }).waitFor()
  await aliceRow.filter({ hasText: 'Friend' }).filter({ hasText: 'Online' }).waitFor({ timeout: 15_000 })
  t.pass('alice is a friend now, health-checked online')
  await page.screenshot({ path: screenshotPath('peers') })

  // ---- her house, index.md, the link to notes/plan.md ----
  await page.getByRole('link', { name: `Visit ${ALICE}` }).click()
  await page.getByRole('heading', { name: HOUSE }).waitFor()
  const root = page.getByRole('list', { name: `Files in ${HOUSE}` })
  await root.waitFor()
  for (const name of ['notes', 'pictures', 'videos', 'files', 'data', 'index.md', 'hostile.md']) {
    t.ok(await root.getByRole('link', { name, exact: true }).isVisible(), `her root lists ${name}`)
  }
  await page.screenshot({ path: screenshotPath('house') })
  await root.getByRole('link', { name: 'index.md', exact: true }).click()
  const index = page.getByRole('article', { name: 'index.md' })
  await index.getByRole('heading', { name: "Alice's house" }).waitFor()
  t.pass('index.md is rendered as markdown')
  await index.getByRole('img', { name: 'The harbour' }).waitFor()
  await index.getByRole('link', { name: 'the plan' }).click()
  const plan = page.getByRole('article', { name: 'plan.md' })
  await plan.getByRole('heading', { name: 'The plan' }).waitFor()
  t.match(await plan.textContent(), /Share one folder with the people you choose/, 'following the link shows notes/plan.md rendered')
  t.match(page.url(), /#\/peer\/alice%40example\.com\/notes\/plan\.md$/, 'inside the same house')
  await page.screenshot({ path: screenshotPath('markdown') })

  // ---- a picture ----
  // The UI names it with a straight apostrophe while headings use ’ (reported): match either.
  const crumbs = page.getByRole('navigation', { name: /^Location in alice@example\.com['’]s house$/ })
  await crumbs.getByRole('link', { name: ALICE, exact: true }).click()
  await root.getByRole('link', { name: 'pictures', exact: true }).click()
  await page.getByRole('list', { name: 'Files in pictures' }).getByRole('link', { name: 'harbour.png' }).click()
  const picture = page.getByRole('article', { name: 'harbour.png' }).getByRole('img', { name: 'harbour.png' })
  await picture.waitFor()
  await until(() => picture.evaluate((el) => (el as unknown as ImageLike).complete && (el as unknown as ImageLike).naturalWidth > 0), 15_000, 'the picture to load')
  t.equal(await picture.evaluate((el) => (el as unknown as ImageLike).naturalWidth), 480, 'the picture loaded through /remote at its real size')
  await page.screenshot({ path: screenshotPath('picture') })

  // ---- a video: play, seek ----
  await crumbs.getByRole('link', { name: ALICE, exact: true }).click()
  await root.getByRole('link', { name: 'videos', exact: true }).click()
  await page.getByRole('list', { name: 'Files in videos' }).getByRole('link', { name: 'clip.webm' }).click()
  const video = page.locator('video[aria-label="clip.webm"]')
  await video.waitFor()
  const played = await video.evaluate(async (el) => {
    const v = el as unknown as VideoLike
    v.muted = true
    await v.play()
    await new Promise<void>((resolve) => (v.currentTime > 0 ? resolve() : v.addEventListener('timeupdate', () => resolve(), { once: true })))
    const seeked = new Promise<void>((resolve) => v.addEventListener('seeked', () => resolve(), { once: true }))
    v.currentTime = 4.5
    await seeked
    return { duration: v.duration, time: v.currentTime, readyState: v.readyState, error: v.error?.code ?? null }
  })
  t.equal(played.error, null, 'the video plays without a media error')
  t.ok(Math.abs(played.duration - 6) < 0.2, `the video's duration is known (${played.duration} s)`)
  t.ok(played.time >= 4 && played.time <= 6, `seeking moved the playback to ${played.time} s`)
  t.ok(played.readyState >= 2, 'and there is a frame to show after the seek')
  const ranged = remote.filter((r) => r.path === 'videos/clip.webm' && r.range !== undefined)
  t.ok(ranged.length > 0, `the /remote proxy received Range requests for the video (${ranged.map((r) => `${r.range} → ${r.status}`).join(', ')})`)
  t.ok(ranged.every((r) => r.status === 206), 'and alice answered each with 206')
  // A 94 KB clip arrives whole with the first `bytes=0-`; what a seek into a longer file asks for is a range in the
  // middle: the page asks for one itself, with its session, as the media element would.
  const middle = await video.evaluate(async (el) => {
    const v = el as unknown as VideoLike
    const res = await fetch(v.currentSrc, { headers: { range: 'bytes=40000-40999' } })
    return { status: res.status, range: res.headers.get('content-range'), length: (await res.arrayBuffer()).byteLength }
  })
  t.match(middle, { status: 206, range: /^bytes 40000-40999\/\d+$/, length: 1000 }, 'a mid-file Range from the page comes back 206 with exactly those bytes')
  t.ok(remote.some((r) => r.path === 'videos/clip.webm' && r.range === 'bytes=40000-40999' && r.status === 206), 'the proxy passed that Range on to alice')
  await video.evaluate((el) => (el as unknown as VideoLike).pause())
  await page.screenshot({ path: screenshotPath('video') })

  // ---- a download ----
  await crumbs.getByRole('link', { name: ALICE, exact: true }).click()
  await root.getByRole('link', { name: 'files', exact: true }).click()
  await page.getByRole('list', { name: 'Files in files' }).getByRole('link', { name: 'archive.bin' }).click()
  await page.getByRole('article', { name: 'archive.bin' }).getByRole('button', { name: 'Download archive.bin' }).click()
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Downloads' }).click()
  const row = page.getByRole('list', { name: 'Downloads' }).getByRole('listitem', { name: 'archive.bin' })
  await row.getByRole('progressbar', { name: 'Done archive.bin' }).waitFor({ timeout: 30_000 })
  t.equal(await row.getByRole('progressbar', { name: 'Done archive.bin' }).getAttribute('aria-valuenow'), '100', 'the download shows done at 100 %')
  const saved = await readFile(join(bob.downloadDir, 'archive.bin'))
  t.ok(saved.equals(archive), `the downloaded file has alice's bytes (${saved.length} bytes)`)
  await page.screenshot({ path: screenshotPath('downloads') })

  // ---- search: alice publishes her share; bob finds a file by name and downloads it ----
  await alice.runtime.setPublishing(true)
  await until(() => alice.runtime.publishing().state === 'idle' && alice.runtime.publishing().published === 7 && alice.runtime.publishing().pending === 0, 30_000, 'alice to publish her share')
  t.pass('alice published her share to the tracker (7 files hashed)')
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Search' }).click()
  await page.getByRole('textbox', { name: 'File name' }).fill('survey')
  await page.getByRole('button', { name: 'Search', exact: true }).click()
  const results = page.getByRole('list', { name: 'Search results' })
  const found = results.getByRole('listitem', { name: `harbour-survey.bin from ${ALICE}` })
  await found.waitFor({ timeout: 15_000 })
  t.equal(await results.getByRole('listitem').count(), 1, 'one result for "survey"')
  t.match(await found.innerText(), /●\s*Online/, 'alice is online')
  t.match(await found.innerText(), /data\/harbour-survey\.bin/, 'with the path in her share')
  t.equal(await found.getByTitle(createHash('sha256').update(survey).digest('hex')).count(), 1, 'and the SHA-256 of the file')
  await page.screenshot({ path: screenshotPath('search') })
  await found.getByRole('button', { name: `Download harbour-survey.bin from ${ALICE}` }).click()
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Downloads' }).click()
  const surveyRow = page.getByRole('list', { name: 'Downloads' }).getByRole('listitem', { name: 'harbour-survey.bin' })
  await surveyRow.getByRole('progressbar', { name: 'Done harbour-survey.bin' }).waitFor({ timeout: 30_000 })
  const surveySaved = await readFile(join(bob.downloadDir, 'harbour-survey.bin'))
  t.ok(surveySaved.equals(survey), `the file found by searching downloaded with alice's bytes (${surveySaved.length} bytes)`)
  await page.goBack()
  await found.getByRole('link', { name: `Open the folder of harbour-survey.bin in ${ALICE}’s house` }).click()
  await page.getByRole('list', { name: 'Files in data' }).getByRole('link', { name: 'harbour-survey.bin' }).waitFor()
  t.pass("opening the result visits alice's house at the file's folder")

  // ---- bob publishes his own share from Settings: applied at once, progress and the count shown ----
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
  const registry = page.getByRole('region', { name: 'File registry' })
  await registry.getByRole('checkbox', { name: 'Publish my shared files' }).click()
  const publishing = registry.getByRole('status', { name: 'Publishing status' })
  await publishing.getByText('2 files can be found by others.').waitFor({ timeout: 30_000 })
  t.equal(bob.runtime.settings().publish, true, "bob's switch is saved in his profile")
  t.equal(bob.runtime.publishing().published, 2, 'and his runtime published his 2 files')
  await publishing.scrollIntoViewIfNeeded()
  await page.screenshot({ path: screenshotPath('settings-publishing') })

  // ---- my own house ----
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My house' }).click()
  await page.getByRole('list', { name: 'Files in my house' }).getByRole('link', { name: 'songs', exact: true }).waitFor()
  t.pass("bob's own house lists his share")
  await page.screenshot({ path: screenshotPath('my-house') })

  // ---- hostile markdown runs nothing ----
  await page.goto(`${origin}/#/peer/${encodeURIComponent(ALICE)}/hostile.md`)
  const hostile = page.getByRole('article', { name: 'hostile.md' })
  await hostile.getByRole('heading', { name: 'Hostile notes' }).waitFor()
  await hostile.getByText('Plain text after the traps.').waitFor()
  await hostile.getByText('Click me').click()
  await hostile.getByText('Raw anchor').click().catch(() => undefined)
  await page.waitForTimeout(500)
  t.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).__pwned), undefined, 'no script, handler or link of the file ran (the marker global stays unset)')
  t.same(dialogs, [], 'no dialog opened')
  t.equal(await hostile.locator('script, iframe, object, embed, form, svg[onload], [onerror], [onload], a[href^="javascript:"], a[href^="data:"]').count(), 0, 'none of the dangerous markup reached the page')
  t.match(page.url(), /#\/peer\/alice%40example\.com\/hostile\.md$/, 'clicking the javascript: link navigated nowhere')
  await page.screenshot({ path: screenshotPath('hostile-markdown') })

  // ---- alice stops: bob's UI shows her offline ----
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Peers' }).click()
  await aliceRow.filter({ hasText: 'Online' }).waitFor()
  const stoppedAt = Date.now()
  await alice.runtime.stop()
  await aliceRow.filter({ hasText: 'Offline' }).waitFor({ timeout: 20_000 })
  t.pass(`bob's UI shows alice offline ${Date.now() - stoppedAt} ms after she stopped (health checks every ${FRIEND_CHECK_MS} ms)`)
  await page.screenshot({ path: screenshotPath('peer-offline') })

  // ---- her published file is still found, marked offline, with nothing to download ----
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Search' }).click()
  await page.getByRole('textbox', { name: 'File name' }).fill('survey')
  await page.getByRole('button', { name: 'Search', exact: true }).click()
  await found.filter({ hasText: 'Offline' }).waitFor({ timeout: 15_000 })
  t.match(await found.innerText(), new RegExp(`Available when ${ALICE.replace('.', '\\.')} is online`), 'a stopped owner: the result stays, offline, without a download')
  t.equal(await found.getByRole('button').count(), 0, 'no Download button then')
  await page.screenshot({ path: screenshotPath('search-offline') })

  t.same(popups, [], 'no window was opened')
  t.ok(documents.every((u) => u === `${origin}/`), `the page never left the app (${[...new Set(documents)].join(', ')})`)
  t.same(problems, [], 'no page error, console error or CSP violation')
  await context.close()
})
