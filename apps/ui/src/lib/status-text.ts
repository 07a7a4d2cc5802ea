/** Words and glyphs for states, kept in one place so every screen says the same thing. */
import { type PeerStatus, type RegistrationState, type Status } from '@flashback/protocol'

export interface PeerStatusLook {
  glyph: string
  label: string
  tone: 'ok' | 'muted' | 'busy' | 'bad'
}

const peerLooks: Record<PeerStatus, PeerStatusLook> = {
  online: { glyph: '●', label: 'Online', tone: 'ok' },
  offline: { glyph: '○', label: 'Offline', tone: 'muted' },
  checking: { glyph: '?', label: 'Checking…', tone: 'busy' },
  error: { glyph: '!', label: 'Error', tone: 'bad' },
}

export const peerStatusLook = (status: PeerStatus): PeerStatusLook => peerLooks[status]

export interface RegistrationLook {
  title: string
  detail: string
  tone: 'ok' | 'muted' | 'busy' | 'bad'
}

/** A headline and a sentence for my own status. */
export function describeRegistration(status: Status): RegistrationLook {
  const state: RegistrationState = status.registration
  const msg = status.registrationMessage
  switch (state) {
    case 'unconfigured':
      return { title: 'Not set up', detail: 'Finish the setup to start sharing.', tone: 'muted' }
    case 'stopped':
      return { title: 'Stopped', detail: 'Sharing is off.', tone: 'muted' }
    case 'registering':
      return { title: 'Connecting…', detail: 'Introducing you to the tracker.', tone: 'busy' }
    case 'registered':
      return status.broadcasting
        ? { title: 'Sharing', detail: 'Others can find you and visit your house.', tone: 'ok' }
        : { title: 'Registered', detail: 'Announcing your house to the tracker…', tone: 'busy' }
    case 'email_taken':
      return {
        title: 'E-mail already taken',
        detail: `${status.email ?? 'This address'} is registered on this tracker with another certificate (another computer, or an earlier installation). Choose another address, or use the computer that holds it.`,
        tone: 'bad',
      }
    case 'retrying':
      return {
        title: 'Tracker unreachable',
        detail: `${msg ? `${msg} ` : ''}Trying again automatically.`,
        tone: 'busy',
      }
    case 'rejected':
      return { title: 'Refused by the tracker', detail: msg ?? 'The tracker refused this computer.', tone: 'bad' }
  }
}
