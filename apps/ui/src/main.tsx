/** Entry: the bridge is `window.flashback` in Electron (preload), else web mode's HTTP implementation. */
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { type FlashbackApi } from '@flashback/protocol'
import { createHttpApi, exchangeSessionToken } from './api/http-api.js'
import { App } from './app.js'
import './styles/tokens.css'
import './styles/app.css'

declare global {
  interface Window {
    flashback?: FlashbackApi
  }
}

async function boot() {
  let api = window.flashback
  if (!api) {
    await exchangeSessionToken()
    api = createHttpApi()
  }
  const root = document.getElementById('root')
  if (!root) throw new Error('index.html has no #root')
  createRoot(root).render(
    <StrictMode>
      <App api={api} />
    </StrictMode>,
  )
}

void boot()
