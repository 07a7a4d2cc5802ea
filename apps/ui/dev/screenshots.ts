/** `npx tsx dev/screenshots.ts`: quick screenshots of the main screens (the tap test takes the same and more). */
import { launch, openUi, screenshotPath, ensureBuilt } from '../test/helpers/browser.js'

ensureBuilt()
const browser = await launch()
try {
  for (const scheme of ['light', 'dark'] as const) {
    const ui = await openUi(browser, { colorScheme: scheme, fake: { sampleDownloads: true }, hash: '#/peers' })
    const { page } = ui
    await page.getByRole('list', { name: 'Peers' }).waitFor()
    await page.screenshot({ path: screenshotPath(`peers-${scheme}`) })
    await page.goto(`${ui.server.url}#/peer/alice%40example.com`)
    await page.getByRole('list', { name: /Files in/ }).waitFor()
    await page.screenshot({ path: screenshotPath(`visit-folder-${scheme}`) })
    await page.goto(`${ui.server.url}#/peer/alice%40example.com/index.md`)
    await page.getByRole('heading', { name: "Welcome to Alice's house" }).waitFor()
    await page.waitForTimeout(300)
    await page.screenshot({ path: screenshotPath(`visit-markdown-${scheme}`), fullPage: false })
    await page.goto(`${ui.server.url}#/house`)
    await page.getByRole('list', { name: /Files in/ }).waitFor()
    await page.screenshot({ path: screenshotPath(`house-${scheme}`) })
    await page.goto(`${ui.server.url}#/downloads`)
    await page.getByRole('list', { name: 'Downloads' }).waitFor()
    await page.screenshot({ path: screenshotPath(`downloads-${scheme}`) })
    console.log(scheme, 'problems:', ui.problems)
    await ui.close()
    const setup = await openUi(browser, { colorScheme: scheme, fake: { configured: false } })
    await setup.page.getByRole('heading', { name: /Welcome/ }).waitFor()
    await setup.page.screenshot({ path: screenshotPath(`setup-${scheme}`), fullPage: true })
    console.log(scheme, 'setup problems:', setup.problems)
    await setup.close()
  }
} finally {
  await browser.close()
}
