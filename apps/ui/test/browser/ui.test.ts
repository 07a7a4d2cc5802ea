/**
 * The built UI in Debian Chromium against the fake bridge served like web mode (HTTP + SSE + /remote with Range),
 * under a strict CSP. Finds everything by role and name, like the end-to-end tests against real peers will.
 * Skips with a message when Chromium is absent, unless E2E_REQUIRED=1.
 */
import t from 'tap'
import { type Browser, type Page } from 'playwright-core'
import { chromiumAvailable, CHROMIUM, ensureBuilt, launch, openUi, recordWebm, screenshotPath, type UiHarness } from '../helpers/browser.js'

if (!chromiumAvailable()) {
  if (process.env.E2E_REQUIRED === '1') t.fail(`Chromium is required (E2E_REQUIRED=1) but ${CHROMIUM} does not exist`)
  else t.plan(0, `browser tests skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH, or E2E_REQUIRED=1 to fail instead)`)
} else {
  ensureBuilt()
  let browser: Browser
  t.before(async () => {
    browser = await launch()
  })
  t.teardown(async () => {
    await browser?.close()
  })

  /** Opens the UI, runs `fn`, and checks the page reported no CSP violation or error. */
  /** What withUi needs of a test. */
  interface T {
    same(found: unknown, wanted: unknown, message: string): unknown
  }
  const withUi = async (t: T, options: Parameters<typeof openUi>[1], fn: (ui: UiHarness, page: Page) => Promise<void>) => {
    const ui = await openUi(browser, options)
    const dialogs: string[] = []
    ui.page.on('dialog', (d) => {
      dialogs.push(d.message())
      void d.dismiss()
    })
    try {
      await fn(ui, ui.page)
      t.same(ui.problems, [], 'the page logged no CSP violation, uncaught error or console error')
      t.same(dialogs, [], 'no alert() ran')
    } finally {
      await ui.close()
    }
  }

  t.test('first run: validation, email_taken explained, another address chosen', async (t) => {
    await withUi(t, { fake: { configured: false } }, async (ui, page) => {
      await page.getByRole('heading', { name: 'Welcome! Let’s open your house.' }).waitFor()
      const email = page.getByRole('textbox', { name: 'Your e-mail' })
      await page.getByRole('textbox', { name: 'Tracker address' }).fill('http://tracker.example.com')
      await page.getByRole('button', { name: 'Start sharing' }).click()
      t.ok(await page.getByText('Enter your e-mail address.').isVisible(), 'a missing e-mail is explained')
      t.ok(await page.getByText('The tracker address starts with https://.').isVisible(), 'an http tracker is explained')
      t.equal(await email.getAttribute('aria-invalid'), 'true', 'the e-mail field is marked invalid')
      t.ok(await email.evaluate((el) => el === document.activeElement), 'focus moves to the first invalid field')
      await page.getByRole('textbox', { name: 'Tracker address' }).fill('https://tracker.example.com:8443')
      await page.getByRole('textbox', { name: /Tracker fingerprint/ }).fill('nope')
      await email.fill('taken@example.com')
      await page.getByRole('button', { name: 'Start sharing' }).click()
      t.ok(await page.getByText(/64 hexadecimal digits/).isVisible(), 'a bad fingerprint is explained')
      await page.getByRole('textbox', { name: /Tracker fingerprint/ }).fill('AB:'.repeat(32).slice(0, -1))
      await page.getByRole('checkbox', { name: /Let other computers connect/ }).check()
      t.ok(await page.getByRole('radio', { name: /Anyone registered on the tracker/ }).isChecked(), 'sharing with the network switches open access to registered')
      t.ok(await page.getByRole('radio', { name: /Anyone who can reach it/ }).isDisabled(), 'and open access is not offered then')
      await page.getByRole('button', { name: 'Start sharing' }).click()
      const taken = page.getByRole('alert').filter({ hasText: 'taken@example.com is already taken on this tracker.' })
      await taken.waitFor()
      t.match(await taken.innerText(), /another certificate/, 'email_taken is explained')
      await page.screenshot({ path: screenshotPath('setup-email-taken') })
      await page.getByRole('button', { name: 'Use another address' }).click()
      t.ok(await email.evaluate((el) => el === document.activeElement), 'the way out focuses the e-mail field')
      await email.fill('bob@example.com')
      await page.getByRole('button', { name: 'Start sharing' }).click()
      await page.getByRole('heading', { name: 'Peers' }).waitFor()
      t.pass('after a free address the app opens on Peers')
      const saved = ui.fake.control.calls.filter((c) => c.name === 'setSettings').at(-1)?.args as { trackerFingerprint: string; access: string }
      t.equal(saved.trackerFingerprint, 'ab'.repeat(32), 'the pasted fingerprint was normalised')
      t.equal(saved.access, 'registered', 'with registered access')
    })
  })

  t.test('peers: statuses, add and remove friends', async (t) => {
    await withUi(t, { hash: '#/peers' }, async (ui, page) => {
      const list = page.getByRole('list', { name: 'Peers' })
      await list.waitFor()
      const item = (email: string) => list.getByRole('listitem', { name: email })
      t.match(await item('alice@example.com').innerText(), /●\s*Online/, 'alice is ● online')
      t.match(await item('carol@example.com').innerText(), /○\s*Offline/, 'carol is ○ offline')
      t.match(await item('dave@example.com').innerText(), /\?\s*Checking/, 'dave is ? checking')
      t.match(await item('erin@example.com').innerText(), /!\s*Error\s*Certificate mismatch/, 'erin is ! error with the message')
      await page.screenshot({ path: screenshotPath('peers-light') })

      await page.getByRole('textbox', { name: 'Friend’s e-mail' }).fill('not an address')
      await page.getByRole('button', { name: 'Add friend', exact: true }).click()
      t.ok(await page.getByRole('alert').filter({ hasText: 'Enter an e-mail address' }).isVisible(), 'a bad address is explained')
      await page.getByRole('textbox', { name: 'Friend’s e-mail' }).fill('zoe@example.com')
      await page.getByRole('textbox', { name: 'Nickname (optional)' }).fill('Zoe')
      await page.getByRole('button', { name: 'Add friend', exact: true }).click()
      await item('zoe@example.com').waitFor()
      t.match(await item('zoe@example.com').innerText(), /Checking/, 'a new friend appears, being checked')
      ui.fake.control.tick()
      await item('zoe@example.com').getByText('Offline').waitFor()
      t.pass('the health check result arrives over the event stream')
      await page.getByRole('button', { name: 'Remove zoe@example.com from friends' }).click()
      await item('zoe@example.com').waitFor({ state: 'detached' })
      t.pass('a removed offline friend leaves the list')
      await page.getByRole('button', { name: 'Friends', exact: true }).click()
      t.notOk(await item('frank@example.com').isVisible(), 'the Friends filter hides non-friends')
      await page.getByRole('button', { name: 'Everyone', exact: true }).click()
      ui.fake.control.setPeerStatus('alice@example.com', 'offline')
      await item('alice@example.com').getByText('Offline').waitFor()
      t.pass('a peer going offline shows without reloading')
    })
  })

  t.test('visiting: folders, markdown links inside the house, outside links ask, nothing runs', async (t) => {
    await withUi(t, { hash: '#/peers' }, async (ui, page) => {
      await page.getByRole('link', { name: 'alice@example.com', exact: true }).click()
      await page.getByRole('heading', { name: 'Alice’s house' }).waitFor()
      const files = page.getByRole('list', { name: 'Files in Alice’s house' })
      await files.waitFor()
      await page.screenshot({ path: screenshotPath('visit-folder-light') })
      await files.getByRole('link', { name: 'index.md' }).click()
      await page.getByRole('heading', { name: "Welcome to Alice's house" }).waitFor()
      t.equal(await page.locator('script:not([src])').count(), 0, 'no inline script made it into the page')
      t.equal(await page.locator('.markdown script, .markdown [onerror], .markdown iframe').count(), 0, 'raw HTML from the markdown is not rendered')
      t.equal(await page.locator('a[href^="javascript"], a[href^="JAVASCRIPT"]').count(), 0, 'no javascript: link exists')
      t.ok(await page.getByText('click me').isVisible(), 'the refused link still shows its text')
      await page.getByText('click me').click()
      t.match(page.url(), /index\.md$/, 'clicking a refused link goes nowhere')
      await page.getByRole('img', { name: 'Sunset over the harbour' }).waitFor()
      t.ok(await page.getByRole('img', { name: 'Sunset over the harbour' }).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'a relative picture in markdown loads from the house')
      await page.screenshot({ path: screenshotPath('visit-markdown-light') })

      await page.getByRole('link', { name: /the Flashback project/ }).click()
      const dialog = page.getByRole('dialog', { name: 'Open an outside link?' })
      await dialog.waitFor()
      t.match(await dialog.innerText(), /https:\/\/example\.org\/flashback/, 'the dialog shows where the link goes')
      await page.screenshot({ path: screenshotPath('visit-outside-link-dialog') })
      await dialog.getByRole('button', { name: 'Cancel' }).click()
      await dialog.waitFor({ state: 'hidden' })
      t.pass('cancel closes the dialog')
      await page.getByRole('link', { name: /the Flashback project/ }).click()
      const popup = page.context().waitForEvent('page')
      await page.getByRole('dialog', { name: 'Open an outside link?' }).getByRole('button', { name: 'Open link' }).click()
      const tab = await popup
      t.match(tab.url(), /^https:\/\/example\.org\/flashback|^about:blank|^chrome-error/, 'confirming opens the link in a new tab')
      await tab.close()

      await page.getByRole('link', { name: 'The plan for the summer' }).click()
      await page.getByRole('heading', { name: 'Plan for the summer' }).waitFor()
      t.match(page.url(), /#\/peer\/alice%40example\.com\/notes\/plan\.md$/, 'a relative link opens notes/plan.md inside the same house')
      const crumbs = page.getByRole('navigation', { name: 'Location in Alice’s house' })
      t.same(await crumbs.getByRole('listitem').allInnerTexts(), ['Alice', 'notes', 'plan.md'], 'breadcrumbs show where we are')
      await page.getByRole('link', { name: 'photos' }).click()
      await page.getByRole('list', { name: 'Files in photos' }).waitFor()
      t.pass('a folder link opens the folder')
      await crumbs.getByRole('link', { name: 'Alice' }).click()
      await page.getByRole('list', { name: 'Files in Alice’s house' }).waitFor()
      t.pass('a breadcrumb opens its folder')
      await page.getByRole('list', { name: 'Files in Alice’s house' }).getByRole('link', { name: 'notes' }).click()
      await page.getByRole('list', { name: 'Files in notes' }).waitFor()
      await page.getByRole('link', { name: 'ideas.txt' }).click()
      await page.getByRole('region', { name: 'Contents of ideas.txt' }).or(page.getByLabel('Contents of ideas.txt')).waitFor()
      t.match(await page.getByLabel('Contents of ideas.txt').innerText(), /Learn to sail/, 'plain text is shown as text')
      await page.keyboard.press('Backspace')
      await page.getByRole('list', { name: 'Files in notes' }).waitFor()
      t.pass('Backspace goes back to the folder')
    })
  })

  t.test('markdown: GitHub-flavoured extras, heading ids, fragments in the same and in another file', async (t) => {
    await withUi(t, { hash: '#/peer/alice%40example.com/notes/plan.md' }, async (ui, page) => {
      const plan = page.getByRole('article', { name: 'plan.md' })
      await plan.getByRole('heading', { name: 'Budget' }).waitFor()
      const table = plan.getByRole('table')
      t.same(await table.getByRole('columnheader').allInnerTexts(), ['Month', 'What', 'Cost'], 'a GFM table has real column headers')
      t.ok(await table.getByRole('cell', { name: '€450' }).isVisible(), 'and cells')
      t.equal(await table.getByRole('cell', { name: '€450' }).evaluate((td) => getComputedStyle(td).textAlign), 'right', 'column alignment is kept')
      const boxes = plan.getByRole('checkbox')
      t.equal(await boxes.count(), 3, 'a task list shows its checkboxes')
      t.same([await boxes.nth(0).isChecked(), await boxes.nth(1).isChecked()], [true, false], 'ticked and not ticked')
      t.ok(await boxes.nth(0).isDisabled(), 'and they cannot be changed')
      t.equal(await plan.locator('del').innerText(), 'Buy a new tent', '~~strikethrough~~ is rendered')
      const autolink = plan.getByRole('link', { name: /www\.example\.org\/summer/ })
      t.equal(await autolink.getAttribute('href'), 'http://www.example.org/summer', 'a bare www address becomes an outside link')
      t.equal(await autolink.getAttribute('class'), 'md-external', 'which asks before opening')
      t.equal(await plan.getByRole('heading', { name: 'Budget' }).getAttribute('id'), 'user-content-budget', 'headings get slug ids with the sanitiser’s prefix')
      t.equal(await page.locator('.markdown [id]:not([id^="user-content-"])').count(), 0, 'every id in the document is prefixed, so none can clobber the app’s')
      await plan.getByRole('heading', { name: 'Budget' }).evaluate((h) => h.scrollIntoView({ block: 'start' }))
      await page.screenshot({ path: screenshotPath('visit-markdown-gfm-light') })

      // A fragment of another file: that file opens scrolled to the heading.
      await plan.getByRole('link', { name: 'packing checklist' }).click()
      const packing = page.getByRole('article', { name: 'packing.md' })
      const checklist = packing.getByRole('heading', { name: 'Checklist' })
      await checklist.waitFor()
      t.match(page.url(), /#\/peer\/alice%40example\.com\/notes\/packing\.md\?at=checklist$/, 'the address names the file and the fragment')
      const inView = () => checklist.evaluate((h) => {
        const r = h.getBoundingClientRect()
        return r.top >= 0 && r.bottom <= innerHeight
      })
      await page.waitForFunction(() => (document.querySelector('#user-content-checklist')?.getBoundingClientRect().top ?? -1) >= 0 && (document.querySelector('#user-content-checklist')?.getBoundingClientRect().bottom ?? Infinity) <= innerHeight)
      t.ok(await inView(), 'the heading the fragment names is scrolled into view')
      t.notOk(await packing.getByRole('heading', { name: 'Day 1', exact: true }).evaluate((h) => h.getBoundingClientRect().bottom > 0), 'the top of the long file was scrolled past')
      await page.screenshot({ path: screenshotPath('visit-markdown-fragment-light') })

      // And back: a fragment of the first file, then one inside the same document.
      await packing.getByRole('link', { name: 'the plan' }).click()
      await page.waitForURL(/plan\.md\?at=budget$/)
      await page.getByRole('article', { name: 'plan.md' }).getByRole('link', { name: 'budget' }).click()
      t.match(page.url(), /plan\.md\?at=budget$/, 'an in-document fragment stays in the same file')
      await page.getByRole('article', { name: 'plan.md' }).getByRole('link', { name: '1', exact: true }).click()
      await page.waitForURL(/plan\.md\?at=fn-1$/)
      await page.waitForFunction(() => {
        const r = document.querySelector('#user-content-fn-1')?.getBoundingClientRect()
        return !!r && r.top >= 0 && r.bottom <= innerHeight
      })
      t.pass('a footnote reference scrolls to its note')
      t.equal(await page.evaluate(() => document.scrollingElement?.scrollTop), 0, 'only the content scrolls, never the window around the app')
      t.equal(ui.fake.control.calls.filter((c) => c.name === 'readRemoteText' && (c.args as { path: string }).path === 'notes/plan.md').length, 2, 'moving between fragments does not reload the file')
    })
  })

  t.test('pictures, video, audio with seeking, anything else offers download', async (t) => {
    const video = await recordWebm(browser)
    const extraAliceFiles = { 'videos/harbour.webm': { content: () => video, mime: 'video/webm' } }
    await withUi(t, { hash: '#/peer/alice%40example.com/photos/sunset.svg', fake: { extraAliceFiles } }, async (ui, page) => {
      const img = page.getByRole('img', { name: 'sunset.svg' })
      await img.waitFor()
      await page.waitForFunction(() => (document.querySelector('.image-preview img') as HTMLImageElement | null)?.naturalWidth ?? 0 > 0)
      t.pass('the picture loads through /remote')
      await page.screenshot({ path: screenshotPath('visit-image-light') })

      await page.goto(`${ui.server.url}#/peer/alice%40example.com/videos`)
      await page.getByRole('link', { name: 'harbour.webm' }).click()
      const player = page.locator('video')
      await player.waitFor()
      t.equal(await player.getAttribute('aria-label'), 'harbour.webm', 'the video player is named after the file')
      await page.waitForFunction(() => (document.querySelector('video')?.readyState ?? 0) >= 2)
      t.equal(await player.evaluate((v: HTMLVideoElement) => v.videoWidth), 640, 'the video decodes through /remote')
      await player.evaluate(async (v: HTMLVideoElement) => {
        v.muted = true
        await v.play()
        v.pause()
        v.currentTime = 1.5
      })
      await page.waitForFunction(() => {
        const v = document.querySelector('video')
        return !!v && !v.seeking && v.currentTime >= 1.4
      })
      t.pass('the video plays and seeks')
      await page.screenshot({ path: screenshotPath('visit-video-light') })

      await page.goto(`${ui.server.url}#/peer/alice%40example.com/music/concert.wav`)
      const audio = page.locator('audio')
      await audio.waitFor()
      t.equal(await audio.getAttribute('aria-label'), 'concert.wav', 'the player is named after the file')
      await page.waitForFunction(() => (document.querySelector('audio')?.readyState ?? 0) >= 1)
      const duration = await audio.evaluate((a: HTMLAudioElement) => a.duration)
      t.ok(duration > 80, 'the audio duration is known from its header')
      await audio.evaluate((a: HTMLAudioElement) => {
        a.muted = true
        a.currentTime = a.duration - 5
      })
      await page.waitForFunction(() => {
        const a = document.querySelector('audio')
        return !!a && !a.seeking && a.currentTime > 80
      })
      t.pass('seeking near the end works')
      const ranged = ui.remoteRequests.filter((r) => r.path === 'music/concert.wav' && r.range && !/^bytes=0-$/.test(r.range))
      t.ok(ranged.length > 0, `the browser asked for a byte range to seek (${ui.remoteRequests.map((r) => r.range).join(', ')})`)
      t.ok(ranged.every((r) => r.status === 206), 'answered with 206 Partial Content')
      await page.screenshot({ path: screenshotPath('visit-audio-light') })

      await page.goto(`${ui.server.url}#/peer/alice%40example.com/software`)
      await page.getByRole('link', { name: 'flashback-0.1.0.AppImage' }).click()
      await page.getByText('There is no preview for this kind of file.').waitFor()
      await page.screenshot({ path: screenshotPath('visit-no-preview-light') })
      await page.getByRole('button', { name: 'Download flashback-0.1.0.AppImage' }).click()
      const notices = page.locator('.toasts')
      t.equal(await notices.getAttribute('role'), 'status', 'notices are a polite live region')
      await notices.getByText('Downloading flashback-0.1.0.AppImage…').waitFor()
      t.pass('download starts with a notice')
      t.ok(ui.fake.control.calls.some((c) => c.name === 'startDownload'), 'through the bridge')
      ui.fake.control.tick(1)
      await notices.getByText(/^\s*\d+%$/).waitFor()
      t.pass('the notice shows how far the download is')
      ui.fake.control.tick(60)
      await notices.getByText('Downloaded flashback-0.1.0.AppImage').waitFor()
      t.equal(await notices.getByText(/Downloading/).count(), 0, 'once done it no longer says Downloading')
      t.equal(await notices.getByRole('link', { name: 'Show downloads' }).count(), 1, 'it offers to show the downloads')
      t.equal(await notices.getByRole('button', { name: 'Show flashback-0.1.0.AppImage in its folder' }).count(), 1, 'and, where the shell can, the file in its folder')
      await page.screenshot({ path: screenshotPath('download-notice-light') })
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My house' }).click()
      await page.getByRole('heading', { name: 'My house' }).waitFor()
      await notices.getByText('Downloaded flashback-0.1.0.AppImage').waitFor({ state: 'detached' })
      t.pass('a finished download’s notice does not follow the user to another screen')

      await page.goBack()
      await page.getByRole('button', { name: 'Download flashback-0.1.0.AppImage' }).click()
      await notices.getByText('Downloading flashback-0.1.0.AppImage…').waitFor()
      const started = (await ui.fake.listDownloads()).downloads.find((d) => d.state === 'running')
      if (!started) throw new Error('no running download in the fake')
      ui.fake.control.emit({ type: 'download', download: { ...started, state: 'failed', error: 'alice stopped answering' } })
      await notices.getByText('Could not download flashback-0.1.0.AppImage: alice stopped answering').waitFor()
      t.pass('a failed download turns its notice into the reason')
    })
  })

  t.test('a folder of 10,000 entries is virtualised and keyboard-navigable', async (t) => {
    await withUi(t, { hash: '#/peer/alice%40example.com/big' }, async (ui, page) => {
      const list = page.getByRole('list', { name: 'Files in big' })
      await list.waitFor()
      const rendered = await list.getByRole('listitem').count()
      t.ok(rendered > 5 && rendered < 100, `only the rows in view are in the DOM (${rendered})`)
      const first = list.getByRole('link', { name: 'scan-00001.txt' })
      await page.waitForFunction(() => document.activeElement?.textContent === 'scan-00001.txt')
      t.pass('opening a folder focuses its first entry')
      // Focus follows a keyboard move once the virtualiser has rendered the row (a frame later, or more on a
      // loaded machine): wait for it, then report what actually has the focus.
      const focusedAfterMove = async (expected: string) => {
        await page
          .waitForFunction((name) => document.activeElement?.textContent === name, expected, { timeout: 5000 })
          .catch(() => undefined)
        return page.evaluate(() => document.activeElement?.textContent)
      }
      await page.keyboard.press('ArrowDown')
      await page.keyboard.press('ArrowDown')
      t.equal(await focusedAfterMove('scan-00003.txt'), 'scan-00003.txt', 'arrow keys move the focus')
      await page.keyboard.press('ArrowUp')
      t.equal(await focusedAfterMove('scan-00002.txt'), 'scan-00002.txt', 'and back up')
      t.equal(await first.getAttribute('tabindex'), '-1', 'only the active row is tabbable')
      for (let i = 0; i < 30; i++) {
        await page.keyboard.press('End')
        const text = await page.evaluate(() => document.activeElement?.textContent)
        if (text === 'scan-10000.txt') break
        await page.waitForTimeout(100)
      }
      t.equal(await page.evaluate(() => document.activeElement?.textContent), 'scan-10000.txt', 'End reaches the 10,000th entry as pages load')
      t.equal(await page.locator('[aria-setsize="10000"]').first().count(), 1, 'rows announce the full size once everything is loaded')
      const stillRendered = await list.getByRole('listitem').count()
      t.ok(stillRendered < 100, `still only the rows in view after scrolling to the end (${stillRendered})`)
      await page.screenshot({ path: screenshotPath('visit-big-folder-light') })
      await page.keyboard.press('Home')
      t.equal(await focusedAfterMove('scan-00001.txt'), 'scan-00001.txt', 'Home goes back to the first')
      await page.keyboard.type('scan-0500')
      t.equal(await focusedAfterMove('scan-05000.txt'), 'scan-05000.txt', 'typing a name jumps to it')
      await page.keyboard.press('Enter')
      await page.getByRole('article', { name: 'scan-05000.txt' }).waitFor()
      t.match(await page.getByLabel('Contents of scan-05000.txt').innerText(), /Scan number 5000 of 10000/, 'Enter opens the focused file')
      t.ok(ui.fake.control.calls.filter((c) => c.name === 'listRemoteFiles').length >= 5, 'the folder was loaded page by page')
    })
  })

  t.test('downloads: progress, cancel, resume, show in folder', async (t) => {
    await withUi(t, { hash: '#/peer/alice%40example.com/archive.zip' }, async (ui, page) => {
      await page.getByRole('button', { name: 'Download archive.zip' }).click()
      await page.getByRole('link', { name: 'Show downloads' }).click()
      const row = page.getByRole('listitem', { name: 'archive.zip' })
      await row.waitFor()
      await page.locator('.toasts').getByText(/archive\.zip/).waitFor({ state: 'detached' })
      t.pass('the Downloads screen takes over from the download’s notice')
      const bar = row.getByRole('progressbar')
      t.equal(await bar.getAttribute('aria-valuenow'), '0', 'a new download starts at 0%')
      ui.fake.control.tick(1)
      await page.waitForFunction(() => document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow') !== '0')
      t.ok(Number(await bar.getAttribute('aria-valuenow')) > 0, 'progress arrives over the event stream')
      t.match(await row.innerText(), /MB of 3 MB/, 'with the amount in words')
      t.equal(await page.getByRole('link', { name: /Downloads/ }).getByLabel('1 active').count(), 1, 'the sidebar counts the active download')
      await row.getByRole('button', { name: 'Cancel download of archive.zip' }).click()
      await row.getByText('Cancelled').waitFor()
      t.pass('cancel stops it')
      await row.getByRole('button', { name: 'Resume download of archive.zip' }).click()
      await row.getByText('Downloading').waitFor()
      t.pass('resume continues it')
      ui.fake.control.tick(10)
      await row.getByText('Done').waitFor()
      t.equal(await bar.getAttribute('aria-valuenow'), '100', 'a finished download is at 100%')
      await row.getByRole('button', { name: 'Show archive.zip in its folder' }).click()
      await page.waitForFunction(() => !document.querySelector('[aria-label="Show archive.zip in its folder"][disabled]'))
      t.same(ui.fake.control.revealed, [ui.fake.control.calls.find((c) => c.name === 'startDownload') ? (await ui.fake.listDownloads()).downloads[0]?.id : ''], 'show in folder asks the bridge')
    })
    await withUi(t, { hash: '#/downloads', fake: { sampleDownloads: true } }, async (_ui, page) => {
      await page.getByRole('list', { name: 'Downloads' }).waitFor()
      await page.screenshot({ path: screenshotPath('downloads-light') })
      t.match(await page.getByRole('listitem', { name: 'chord.wav' }).innerText(), /stopped answering/, 'a failure shows its reason')
    })
  })

  t.test('web mode layout: long paths stay on one line, finished rows without actions use the full width', async (t) => {
    const downloadsFolder = '/work/main/apps/cli/.tap/fixtures/test-e2e-web-mode.test.ts-bob-uses-web-mode-in-Chromium-against-a-real-tracker-and-alice/bob-downloads'
    const shareRoot = '/work/main/apps/cli/.tap/fixtures/test-e2e-web-mode.test.ts-bob-uses-web-mode-in-Chromium-against-a-real-tracker-and-alice/bob-share'
    await withUi(t, { hash: '#/downloads', fake: { sampleDownloads: true, canReveal: false, downloadsFolder, shareRoot } }, async (_ui, page) => {
      const list = page.getByRole('list', { name: 'Downloads' })
      await list.waitFor()
      const folder = page.getByRole('banner').or(page.locator('.screen__header')).getByTitle(downloadsFolder)
      t.equal(await folder.textContent(), downloadsFolder, 'the whole downloads folder is the element’s text (read and copied whole)')
      const folderBox = await folder.evaluate((el) => ({ height: el.getBoundingClientRect().height, lineHeight: parseFloat(getComputedStyle(el).lineHeight) || 20, cut: (el.firstElementChild?.scrollWidth ?? 0) > (el.firstElementChild?.clientWidth ?? 0) }))
      t.ok(folderBox.height < folderBox.lineHeight * 1.6, `the long folder stays on one line (${folderBox.height}px)`)
      t.ok(folderBox.cut, 'its middle gives way to an ellipsis')
      t.ok(await folder.getByText('/bob-downloads').isVisible(), 'the last name of the folder stays visible')

      const done = list.getByRole('listitem', { name: 'lake.svg' })
      t.equal(await done.locator('.download-row__actions').count(), 0, 'a finished download in web mode has no empty action column')
      t.equal(await done.getByTitle(`${downloadsFolder}/lake.svg`).count(), 1, 'it says where the file was saved, whole in its tooltip')
      const edges = await done.evaluate((row) => {
        const bar = row.querySelector('[role=progressbar]')?.getBoundingClientRect()
        const style = getComputedStyle(row)
        return { bar: bar?.right ?? 0, content: row.getBoundingClientRect().right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth) }
      })
      t.ok(Math.abs(edges.bar - edges.content) <= 1, `its bar runs to the end of the row (${edges.bar} vs ${edges.content})`)
      const running = list.getByRole('listitem', { name: 'flashback-0.1.0.AppImage' })
      t.equal(await running.getByRole('button', { name: 'Cancel download of flashback-0.1.0.AppImage' }).count(), 1, 'a running one keeps its Cancel button')
      const bars = await list.evaluate((ul) => [...ul.querySelectorAll('.download-row')].filter((r) => r.querySelector('.download-row__actions')).map((r) => Math.round(r.querySelector('[role=progressbar]')?.getBoundingClientRect().right ?? 0)))
      t.equal(new Set(bars).size, 1, `rows with actions end their bars at the same place (${bars.join(', ')})`)
      await page.screenshot({ path: screenshotPath('downloads-web-long-paths-light') })

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My house' }).click()
      const share = page.locator('.screen__header').getByTitle(shareRoot)
      await share.waitFor()
      t.equal(await share.textContent(), shareRoot, 'the whole shared folder is the element’s text')
      t.ok(await share.evaluate((el) => el.getBoundingClientRect().height < (parseFloat(getComputedStyle(el).lineHeight) || 20) * 1.6), 'and it stays on one line')
      t.ok(await share.getByText('/bob-share').isVisible(), 'with its last name visible')
      await page.screenshot({ path: screenshotPath('house-long-path-light') })
    })
  })

  t.test('my house, empty and error states', async (t) => {
    await withUi(t, { hash: '#/house' }, async (_ui, page) => {
      await page.getByRole('heading', { name: 'My house' }).waitFor()
      t.match(await page.getByRole('region', { name: 'Sharing status' }).innerText(), /Sharing[\s\S]*bob@example\.com/, 'my status is shown')
      await page.getByRole('button', { name: /Show recent problems/ }).click()
      t.match(await page.getByRole('list', { name: 'Recent problems' }).innerText(), /heartbeat went unanswered/, 'recent problems can be read')
      await page.getByRole('list', { name: 'Files in my house' }).getByRole('link', { name: 'recipes' }).click()
      await page.getByRole('list', { name: 'Files in recipes' }).waitFor()
      t.pass('my folders can be browsed')
      await page.goto(`${page.url().split('#')[0]}#/house`)
      await page.getByRole('list', { name: 'Files in my house' }).waitFor()
      await page.screenshot({ path: screenshotPath('house-light') })
    })
    await withUi(t, { hash: '#/peer/carol%40example.com' }, async (ui, page) => {
      const alert = page.getByRole('alert').filter({ hasText: 'is not reachable' })
      await alert.waitFor()
      t.match(await alert.innerText(), /not online right now/, 'an offline peer is explained')
      await page.screenshot({ path: screenshotPath('visit-error-light') })
      const before = ui.fake.control.calls.length
      await alert.getByRole('button', { name: 'Try again' }).click()
      await page.getByRole('alert').filter({ hasText: 'is not reachable' }).waitFor()
      t.ok(ui.fake.control.calls.length > before, 'Try again asks again')
    })
    await withUi(t, { hash: '#/peer/alice%40example.com/notes/old' }, async (ui, page) => {
      await page.getByRole('list', { name: 'Files in old' }).waitFor()
      ui.fake.control.emit({ type: 'status', status: { ...(await ui.fake.getStatus()), registration: 'email_taken', broadcasting: false } })
      const banner = page.getByRole('alert').filter({ hasText: 'Your e-mail is taken on this tracker.' })
      await banner.waitFor()
      await banner.getByRole('link', { name: 'Choose another address' }).click()
      await page.getByRole('heading', { name: 'Settings' }).waitFor()
      t.ok(await page.getByText('bob@example.com is already taken on this tracker.').isVisible(), 'the settings screen explains the taken address')
      await page.screenshot({ path: screenshotPath('settings-email-taken-light') })
    })
  })

  t.test('search: by name and by hash, online owners first, an offline owner, open folder, download, nothing found, tracker unreachable', async (t) => {
    await withUi(t, { hash: '#/peers' }, async (ui, page) => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Search' }).click()
      await page.getByRole('heading', { name: 'Search' }).waitFor()
      t.ok(await page.getByText('Find a file among your peers').isVisible(), 'before a search, the screen says what it is for')
      t.ok(await page.getByText('Your own files are not published').isVisible(), 'and that my own files are not published yet')
      const box = page.getByRole('textbox', { name: 'File name' })
      await box.fill('l')
      await page.getByRole('button', { name: 'Search', exact: true }).click()
      t.ok(await page.getByRole('alert').filter({ hasText: 'Type at least 2 characters of the file name.' }).isVisible(), 'a one-letter search is explained, not sent')
      t.notOk(ui.fake.control.calls.some((c) => c.name === 'searchFiles'), 'nothing was asked')

      await box.fill('lake')
      await page.getByRole('button', { name: 'Search', exact: true }).click()
      const results = page.getByRole('list', { name: 'Search results' })
      await results.waitFor()
      t.match(page.url(), /#\/search\?name=lake$/, 'the search is in the address (reload and Back keep it)')
      const alice = results.getByRole('listitem', { name: 'lake.svg from alice@example.com' })
      const carol = results.getByRole('listitem', { name: 'lake.svg from carol@example.com' })
      t.match(await alice.innerText(), /●\s*Online/, "alice's copy: online")
      t.match(await alice.innerText(), /photos\/lake\.svg/, 'with its path')
      t.match(await carol.innerText(), /○\s*Offline/, "carol's copy: offline")
      t.match(await carol.innerText(), /Available when carol@example\.com is online/, 'an offline owner is explained')
      t.equal(await carol.getByRole('button').count(), 0, 'and offers no download')
      t.same(await results.getByRole('listitem').evaluateAll((items) => items.map((li) => li.getAttribute('aria-labelledby') !== null)), [true, true], 'online first: two results')
      t.match(await page.getByRole('status').filter({ hasText: /result/ }).innerText(), /2 results · 1 online/, 'the summary counts them')
      await page.screenshot({ path: screenshotPath('search-light') })

      await alice.getByRole('button', { name: 'Download lake.svg from alice@example.com' }).click()
      await page.locator('.toasts').getByText('Downloading lake.svg…').waitFor()
      t.match(ui.fake.control.calls.filter((c) => c.name === 'startDownload').at(-1)?.args, { email: 'alice@example.com', path: 'photos/lake.svg' }, 'Download starts the download of that file from its owner')

      await alice.getByRole('link', { name: 'Find every copy of lake.svg' }).click()
      await page.waitForURL(/#\/search\?sha256=[0-9a-f]{64}$/)
      await page.getByRole('button', { name: 'SHA-256', exact: true, pressed: true }).waitFor()
      await results.getByRole('listitem', { name: 'lake.svg from carol@example.com' }).waitFor()
      t.equal(await results.getByRole('listitem').count(), 2, 'a hash search finds both copies of the same content')

      await alice.getByRole('link', { name: 'Open the folder of lake.svg in alice@example.com’s house' }).click()
      await page.getByRole('list', { name: 'Files in photos' }).waitFor()
      t.match(page.url(), /#\/peer\/alice%40example\.com\/photos$/, "opening a result visits alice's house at the file's folder")
      await page.goBack()
      await results.waitFor()
      t.pass('Back returns to the results')

      await page.getByRole('button', { name: 'Name', exact: true }).click()
      await box.fill('no such file')
      await page.getByRole('button', { name: 'Search', exact: true }).click()
      await page.getByText('No files found').waitFor()
      t.ok(await page.getByText('Nobody publishes a file whose name contains “no such file”.').isVisible(), 'nothing found says so')
      await page.screenshot({ path: screenshotPath('search-empty-light') })

      ui.fake.control.failNext('searchFiles', { error: 'unavailable', message: 'The tracker at tracker.example.com:8443 is unreachable: connect ECONNREFUSED.' })
      await box.fill('lake')
      await page.getByRole('button', { name: 'Search', exact: true }).click()
      const down = page.getByRole('alert').filter({ hasText: 'The tracker cannot be reached' })
      await down.waitFor()
      t.match(await down.innerText(), /ECONNREFUSED/, 'an unreachable tracker is an error with its reason')
      await page.screenshot({ path: screenshotPath('search-error-light') })
      ui.fake.control.failNext('searchFiles', null)
      await down.getByRole('button', { name: 'Try again' }).click()
      await results.waitFor()
      t.pass('Try again searches again')
    })
    await withUi(t, { hash: '#/search?name=lake', fake: { latencyMs: 1500 } }, async (_ui, page) => {
      await page.getByRole('status').filter({ hasText: 'Searching the tracker…' }).waitFor()
      t.pass('a search under way says so')
      await page.getByRole('list', { name: 'Search results' }).waitFor()
    })
  })

  t.test('publishing my shared files: the switch, hashing progress, the last error shown, then published and found', async (t) => {
    await withUi(t, { hash: '#/search' }, async (ui, page) => {
      await page.getByRole('link', { name: 'Publish my shared files' }).click()
      const card = page.getByRole('region', { name: 'File registry' })
      const toggle = card.getByRole('checkbox', { name: 'Publish my shared files' })
      await toggle.waitFor()
      t.notOk(await toggle.isChecked(), 'publishing starts off')
      await toggle.check()
      const status = card.getByRole('status', { name: 'Publishing status' })
      await status.getByText('Looking through your shared folder…').waitFor()
      t.match(ui.fake.control.calls.filter((c) => c.name === 'setPublishing').at(-1)?.args, { enabled: true }, 'the switch asks the bridge')
      ui.fake.control.tick()
      ui.fake.control.tick()
      await status.getByText(/^Hashing \d+ of 240 files$/).waitFor()
      const bar = status.getByRole('progressbar', { name: 'Hashing my shared files' })
      await page.waitForFunction(() => Number(document.querySelector('[aria-label="Hashing my shared files"]')?.getAttribute('aria-valuenow')) > 0)
      t.ok(Number(await bar.getAttribute('aria-valuenow')) > 0, 'a progress bar shows how far hashing is')
      t.match(await status.innerText(), /Now hashing\s+\S+/i, 'and names the file being hashed')
      t.match(await status.innerText(), /Hashed\s+\d+ of 240 files/i, 'files hashed of the total')
      await card.scrollIntoViewIfNeeded()
      await page.screenshot({ path: screenshotPath('settings-publishing-light') })

      ui.fake.control.setPublishing({ error: { message: 'The tracker at tracker.example.com:8443 is unreachable: connect ECONNREFUSED.', at: new Date().toISOString() } })
      const problem = card.getByRole('alert').filter({ hasText: 'Publishing has a problem.' })
      await problem.waitFor()
      t.match(await problem.innerText(), /unreachable: connect ECONNREFUSED/, 'the last error is shown in full')
      await status.scrollIntoViewIfNeeded()
      await page.screenshot({ path: screenshotPath('settings-publishing-error-light') })

      ui.fake.control.setPublishing({ error: undefined })
      for (let i = 0; i < 40; i++) ui.fake.control.tick()
      await status.getByText('240 files can be found by others.').waitFor()
      t.equal(await status.locator('.publishing__title').innerText(), 'Published', 'once done: published, and how many files')
      t.equal(await problem.count(), 0, 'the error is gone once publishing works again')

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Search' }).click()
      await page.getByRole('textbox', { name: 'File name' }).fill('pancakes')
      await page.getByRole('button', { name: 'Search', exact: true }).click()
      const mine = page.getByRole('list', { name: 'Search results' }).getByRole('listitem', { name: 'pancakes.md from you' })
      await mine.waitFor()
      t.equal(await mine.getByRole('button').count(), 0, 'my own file is found, without a download button')
      await mine.getByRole('link', { name: 'Open the folder of pancakes.md in my house' }).click()
      await page.getByRole('list', { name: 'Files in recipes' }).waitFor()
      t.pass('and opens in my house')

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
      await toggle.uncheck()
      await status.waitFor({ state: 'detached' })
      t.match(ui.fake.control.calls.filter((c) => c.name === 'setPublishing').at(-1)?.args, { enabled: false }, 'turning it off asks the bridge too')
    })
  })

  t.test('web mode token: traded for a cookie, refused without it', async (t) => {
    const token = 'tok_0123456789abcdefABCDEF'
    await withUi(t, { bridge: { token }, query: `?token=${token}`, hash: '#/peers' }, async (_ui, page) => {
      await page.getByRole('list', { name: 'Peers' }).waitFor()
      t.notMatch(page.url(), /token/, 'the token leaves the address bar')
      await page.reload()
      await page.getByRole('list', { name: 'Peers' }).waitFor()
      t.pass('the cookie keeps the session across reloads')
    })
    await withUi(t, { bridge: { token } }, async (_ui, page) => {
      await page.getByRole('heading', { name: 'This page needs its access link' }).waitFor()
      t.pass('without the token the page explains how to get in')
      await page.screenshot({ path: screenshotPath('unauthorized-light') })
    })
  })

  t.test('dark mode screenshots of the main screens', async (t) => {
    await withUi(t, { colorScheme: 'dark', hash: '#/peers', fake: { sampleDownloads: true } }, async (ui, page) => {
      await page.getByRole('list', { name: 'Peers' }).waitFor()
      await page.screenshot({ path: screenshotPath('peers-dark') })
      await page.goto(`${ui.server.url}#/peer/alice%40example.com/notes/plan.md`)
      await page.getByRole('heading', { name: 'Plan for the summer' }).waitFor()
      await page.screenshot({ path: screenshotPath('visit-markdown-dark') })
      await page.goto(`${ui.server.url}#/downloads`)
      await page.getByRole('list', { name: 'Downloads' }).waitFor()
      await page.screenshot({ path: screenshotPath('downloads-dark') })
      await page.goto(`${ui.server.url}#/house`)
      await page.getByRole('list', { name: 'Files in my house' }).waitFor()
      await page.screenshot({ path: screenshotPath('house-dark') })
      t.pass('dark screenshots taken')
    })
    await withUi(t, { colorScheme: 'dark', fake: { configured: false } }, async (_ui, page) => {
      await page.getByRole('heading', { name: /Welcome/ }).waitFor()
      await page.screenshot({ path: screenshotPath('setup-dark'), fullPage: true })
    })
    await withUi(t, { colorScheme: 'light', fake: { configured: false }, viewport: { width: 1280, height: 900 } }, async (_ui, page) => {
      await page.getByRole('heading', { name: /Welcome/ }).waitFor()
      await page.screenshot({ path: screenshotPath('setup-light'), fullPage: true })
      t.pass('setup screenshots taken')
    })
  })
}
