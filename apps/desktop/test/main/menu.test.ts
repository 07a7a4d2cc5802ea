import t from 'tap'
import { applicationMenuTemplate } from '../../src/main/menu.ts'

const roles = (template: unknown) => JSON.stringify(template)

t.test('the application menu', async (t) => {
  const prod = applicationMenuTemplate({ isMac: false, devTools: false, appName: 'Flashback' })
  t.notMatch(roles(prod), /toggleDevTools|"reload"|forceReload/, 'production builds have no DevTools or reload items')
  t.match(roles(prod), /editMenu/, 'copy and paste are there')
  t.match(roles(prod), /"quit"/, 'a way to quit')
  const dev = applicationMenuTemplate({ isMac: false, devTools: true, appName: 'Flashback' })
  t.match(roles(dev), /toggleDevTools/, 'development builds can open DevTools')
  const mac = applicationMenuTemplate({ isMac: true, devTools: false, appName: 'Flashback' })
  t.equal(mac[0]!.role, 'appMenu', 'macOS gets its app menu first')
})
