/**
 * Sample houses for the fake API: what `vite` dev, the screenshots and the UI tests browse. Content is generated
 * (SVG pictures, a WAV tone, a pseudo-random binary), so nothing binary is checked in.
 */

export interface FakeFileSpec {
  /** Text content, or a function producing the bytes (called lazily, at most once). */
  content: string | (() => Uint8Array)
  mime: string
  /** Days before "now" the file was modified (for varied dates). */
  ageDays?: number
}

export type FakeHouseSpec = Record<string, FakeFileSpec>

const enc = new TextEncoder()

function svgPicture(title: string, from: string, to: string, sun: string): () => Uint8Array {
  return () =>
    enc.encode(`<svg xmlns="http://www.w3.org/2000/svg" width="960" height="600" viewBox="0 0 960 600">
<title>${title}</title>
<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${from}"/><stop offset="1" stop-color="${to}"/></linearGradient></defs>
<rect width="960" height="600" fill="url(#sky)"/>
<circle cx="640" cy="330" r="90" fill="${sun}" opacity="0.95"/>
<path d="M0 420 L180 300 L330 400 L500 260 L700 410 L820 330 L960 400 L960 600 L0 600 Z" fill="#1d2b3a" opacity="0.85"/>
<path d="M0 480 Q240 440 480 480 T960 480 L960 600 L0 600 Z" fill="#0f1a26"/>
</svg>`)
}

/** A mono 16-bit PCM WAV of `seconds` of a soft chord: a real file `<audio>` can play and seek. */
export function wavTone(seconds: number, rate = 8000): Uint8Array {
  const samples = Math.floor(seconds * rate)
  const buf = new ArrayBuffer(44 + samples * 2)
  const v = new DataView(buf)
  const str = (o: number, s: string) => [...s].forEach((c, i) => v.setUint8(o + i, c.charCodeAt(0)))
  str(0, 'RIFF')
  v.setUint32(4, 36 + samples * 2, true)
  str(8, 'WAVE')
  str(12, 'fmt ')
  v.setUint32(16, 16, true)
  v.setUint16(20, 1, true)
  v.setUint16(22, 1, true)
  v.setUint32(24, rate, true)
  v.setUint32(28, rate * 2, true)
  v.setUint16(32, 2, true)
  v.setUint16(34, 16, true)
  str(36, 'data')
  v.setUint32(40, samples * 2, true)
  for (let i = 0; i < samples; i++) {
    const t = i / rate
    const fade = Math.min(1, t * 4, (seconds - t) * 4)
    const s = (Math.sin(2 * Math.PI * 440 * t) + Math.sin(2 * Math.PI * 554.37 * t) + Math.sin(2 * Math.PI * 659.25 * t)) / 3
    v.setInt16(44 + i * 2, Math.round(s * fade * 12000), true)
  }
  return new Uint8Array(buf)
}

/** Deterministic pseudo-random bytes (xorshift), so downloads can be checked byte for byte. */
export function pseudoRandomBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

export const aliceIndex = `# Welcome to Alice's house

Hi! This is where I keep the things I share with friends. Have a look around.

- [The plan for the summer](notes/plan.md)
- [Loose ideas](notes/ideas.txt)
- [Photos](photos/)
- [A chord to test your speakers](music/chord.wav)

![Sunset over the harbour](photos/sunset.svg)

## Outside links

Links to the outside ask before they open: [the Flashback project](https://example.org/flashback).

This one must never run: [click me](javascript:alert('pwned')) — and neither must this:

<script>alert('pwned')</script>

<img src="x" onerror="alert('pwned')">
`

export const alicePlan = `# Plan for the summer

1. **June** — fix the bike, plan the route along the coast.
2. **July** — two weeks at the lake house. Bring the kayak.
3. **August** — back home, print the best photos.

> Pack light. Everything else can be bought on the way.

See the [photos](../photos/) from last year, the [budget](#budget) below, the [packing checklist](packing.md#checklist),
or go back to [the index](../index.md).

## Budget

| Month  | What              |  Cost |
| :----- | :---------------- | ----: |
| June   | Bike repair       |  €120 |
| July   | Lake house        |  €450 |
| August | Prints and frames |   €80 |

- [x] Book the lake house
- [ ] Fix the bike
- [ ] ~~Buy a new tent~~ borrow Bob's

\`\`\`
packing list: tent, stove, headlamp, sunscreen
\`\`\`

More tips at www.example.org/summer (not affiliated[^1]).

[^1]: We only like their maps.
`

const packingIntro = Array.from({ length: 12 }, (_, i) => `### Day ${i + 1}\n\nWalk, swim, read, repeat. Nothing to pack for this day that is not already on the list below.\n`).join('\n')

export const alicePacking = `# Packing

What to bring, day by day, and the checklist at the end. Back to [the plan](plan.md#budget).

${packingIntro}
## Checklist

- [ ] Tent
- [ ] Stove
- [ ] Headlamp
- [ ] Sunscreen
`

const ideas = `Loose ideas, in no order

- A shared recipe book with Bob
- Scan the old family albums
- Learn to sail (properly, this time)
- Build a bird house for the garden
`

export function aliceHouse(): FakeHouseSpec {
  const house: FakeHouseSpec = {
    'index.md': { content: aliceIndex, mime: 'text/markdown', ageDays: 1 },
    'notes/plan.md': { content: alicePlan, mime: 'text/markdown', ageDays: 3 },
    'notes/packing.md': { content: alicePacking, mime: 'text/markdown', ageDays: 3 },
    'notes/ideas.txt': { content: ideas, mime: 'text/plain', ageDays: 12 },
    'notes/old/2023.md': { content: '# 2023\n\nA quiet year. Back to [the plan](../plan.md).\n', mime: 'text/markdown', ageDays: 400 },
    'photos/sunset.svg': { content: svgPicture('Sunset over the harbour', '#ff9a62', '#7b3f8c', '#ffd27a'), mime: 'image/svg+xml', ageDays: 30 },
    'photos/lake.svg': { content: svgPicture('Morning at the lake', '#9ad1ff', '#2f6fb3', '#fff6c9'), mime: 'image/svg+xml', ageDays: 31 },
    'photos/night.svg': { content: svgPicture('Night in the mountains', '#1a2550', '#05070f', '#e8ecff'), mime: 'image/svg+xml', ageDays: 32 },
    'music/chord.wav': { content: () => wavTone(6), mime: 'audio/wav', ageDays: 60 },
    // Long enough (about 4 MB) that seeking to its end makes the browser ask for a byte range.
    'music/concert.wav': { content: () => wavTone(90, 22050), mime: 'audio/wav', ageDays: 61 },
    'software/flashback-0.1.0.AppImage': { content: () => pseudoRandomBytes(6 * 1024 * 1024, 7), mime: 'application/octet-stream', ageDays: 5 },
    'software/checksums.txt': { content: 'sha256  flashback-0.1.0.AppImage\n', mime: 'text/plain', ageDays: 5 },
    'archive.zip': { content: () => pseudoRandomBytes(3 * 1024 * 1024, 3), mime: 'application/zip', ageDays: 90 },
  }
  return house
}

/** The 10,000-entry folder lives at `big/` in Alice's house; its entries are generated on demand. */
export const BIG_FOLDER = 'big'
export const BIG_FOLDER_SIZE = 10_000
export const bigEntryName = (i: number) => `scan-${String(i + 1).padStart(5, '0')}.txt`

export function myHouse(): FakeHouseSpec {
  return {
    'index.md': { content: "# Bob's house\n\nRecipes, holiday pictures and music. Help yourself.\n\n- [Pancakes](recipes/pancakes.md)\n- [Holiday](holiday/)\n", mime: 'text/markdown', ageDays: 2 },
    'recipes/pancakes.md': { content: '# Pancakes\n\n2 eggs, 250 ml milk, 125 g flour, a pinch of salt.\n', mime: 'text/markdown', ageDays: 20 },
    'recipes/bread.md': { content: '# Bread\n\nFlour, water, salt, time.\n', mime: 'text/markdown', ageDays: 25 },
    'holiday/beach.svg': { content: svgPicture('Beach', '#ffe29a', '#ff8c6b', '#fff'), mime: 'image/svg+xml', ageDays: 100 },
    'holiday/forest.svg': { content: svgPicture('Forest', '#b5e3b5', '#2e6b3a', '#fffbe0'), mime: 'image/svg+xml', ageDays: 101 },
    'music/evening.wav': { content: () => wavTone(3), mime: 'audio/wav', ageDays: 7 },
    'notes.txt': { content: 'Remember to water the plants.\n', mime: 'text/plain', ageDays: 0 },
  }
}

export function smallHouse(owner: string): FakeHouseSpec {
  return {
    'index.md': { content: `# ${owner}'s house\n\nNot much here yet. Try [the readme](readme.txt).\n`, mime: 'text/markdown', ageDays: 4 },
    'readme.txt': { content: `Hello from ${owner}.\n`, mime: 'text/plain', ageDays: 4 },
    'photo.svg': { content: svgPicture('Garden', '#d7f5d0', '#6cae75', '#fff3b0'), mime: 'image/svg+xml', ageDays: 8 },
  }
}
