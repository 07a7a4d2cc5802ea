import t from 'tap'
import { KEEP_RUNNING_LABEL, createTray, statusTooltip, trayMenuTemplate } from '../../src/main/tray.ts'
import { FakeMenu, FakeTray } from '../fakes.ts'

t.test('the tray menu: open, keep sharing (a checkbox), quit', async (t) => {
  let keep = false
  const calls = { show: 0, quit: 0 }
  const options = {
    keepRunning: () => keep,
    setKeepRunning: (v: boolean) => {
      keep = v
    },
    show: () => calls.show++,
    quit: () => calls.quit++,
  }
  const template = trayMenuTemplate(options, () => {})
  t.same(template.filter((i) => i.type !== 'separator').map((i) => i.label), ['Open Flashback', KEEP_RUNNING_LABEL, 'Quit Flashback'], 'three actions')
  const box = template.find((i) => i.id === 'keep-running')!
  t.equal(box.type, 'checkbox', 'keep sharing is a checkbox')
  t.equal(box.checked, false, 'reflecting the setting')

  FakeTray.instances = []
  const tray = createTray({ Tray: FakeTray as never, Menu: FakeMenu as never, icon: '/icon.png', ...options })
  const fake = FakeTray.instances[0]!
  t.equal(fake.image, '/icon.png', 'the tray uses the app icon')
  fake.emit('click')
  t.equal(calls.show, 1, 'clicking the icon opens the window')
  fake.menu.find((i) => i.id === 'keep-running')!.click!({ checked: true })
  t.equal(keep, true, 'ticking the box saves the choice')
  t.equal(fake.menu.find((i) => i.id === 'keep-running')!.checked, true, 'and the menu is rebuilt with it')
  fake.menu.find((i) => i.id === 'quit')!.click!({ checked: false })
  t.equal(calls.quit, 1, 'Quit quits')
  tray.setStatus({ registration: 'email_taken', broadcasting: false })
  t.match(fake.tooltip, /another certificate/, 'the tooltip explains a taken e-mail')
  tray.destroy()
  t.ok(fake.destroyed, 'destroy removes the icon')
})

t.test('status tooltips', async (t) => {
  t.equal(statusTooltip({ registration: 'registered', broadcasting: true }), 'Flashback: sharing', 'broadcasting: sharing')
  t.equal(statusTooltip({ registration: 'unconfigured', broadcasting: false }), 'Flashback: not set up yet', 'first run')
  t.equal(statusTooltip({ registration: 'retrying', broadcasting: false }), 'Flashback: trying to reach the tracker', 'tracker down')
  t.equal(statusTooltip({ registration: 'registering', broadcasting: false }), 'Flashback: connecting', 'connecting')
  t.equal(statusTooltip({ registration: 'rejected', broadcasting: false }), 'Flashback: the tracker refused this computer', 'refused')
  t.equal(statusTooltip({ registration: 'stopped', broadcasting: false }), 'Flashback: not sharing', 'stopped')
})
