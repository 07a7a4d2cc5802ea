import t from 'tap'
import { mkdir, open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CONTENT_MAX_BYTES } from '@flashback/protocol'
import { looksLikeText, textContentType, TEXT_SNIFF_BYTES } from '../../src/server/content.js'
import { request, startServer, tempDir } from './helper.js'

t.test('text detection', async (t) => {
  t.ok(looksLikeText(Buffer.from('hello\nworld\n'), true), 'ASCII is text')
  t.ok(looksLikeText(Buffer.from('\ufeffcafé ☕ 日本語'), true), 'UTF-8 with a BOM is text')
  t.ok(looksLikeText(Buffer.alloc(0), true), 'an empty file is text')
  t.notOk(looksLikeText(Buffer.from([0x68, 0x00, 0x69]), true), 'a NUL byte makes it binary')
  t.notOk(looksLikeText(Buffer.from([0x63, 0x61, 0x66, 0xe9]), true), 'Latin-1 is not UTF-8 text')
  t.notOk(looksLikeText(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), true), 'a PNG signature is binary')
  const euro = Buffer.from('ab€')
  t.ok(looksLikeText(euro.subarray(0, euro.length - 1), false), 'a sample cut inside a character is still text')
  t.notOk(looksLikeText(euro.subarray(0, euro.length - 1), true), 'but a whole file ending mid-character is not')
  t.equal(textContentType('notes.md'), 'text/markdown; charset=utf-8', 'Markdown')
  t.equal(textContentType('README.MARKDOWN'), 'text/markdown; charset=utf-8', 'Markdown, upper case')
  t.equal(textContentType('table.csv'), 'text/csv; charset=utf-8', 'CSV')
  t.equal(textContentType('page.html'), 'text/plain; charset=utf-8', 'HTML is shown as text, never rendered')
  t.equal(textContentType('md'), 'text/plain; charset=utf-8', 'a name without extension')
})

t.test('/content over HTTPS', async (t) => {
  const root = await tempDir(t)
  await writeFile(join(root, 'plan.md'), '# Plan\n\n- café\n')
  await writeFile(join(root, 'notes.txt'), 'plain text')
  await writeFile(join(root, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]))
  await writeFile(join(root, 'page.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
  // A long UTF-8 file whose 64 KiB sample ends in the middle of a three-byte character.
  const long = 'a'.repeat(TEXT_SNIFF_BYTES - 1) + '€'.repeat(1000)
  await writeFile(join(root, 'long.txt'), long)
  // Text up to the sample, then a NUL: the sample decides, and the bytes go out as they are.
  await writeFile(join(root, 'late-nul.txt'), Buffer.concat([Buffer.alloc(TEXT_SNIFF_BYTES, 0x61), Buffer.from([0])]))
  await mkdir(join(root, 'folder'))
  // A sparse file one byte over the limit, and a real one exactly at it.
  const fh = await open(join(root, 'big.txt'), 'w')
  await fh.write('x', 0)
  await fh.truncate(CONTENT_MAX_BYTES + 1)
  await fh.close()
  await writeFile(join(root, 'limit.txt'), Buffer.alloc(CONTENT_MAX_BYTES, 0x41))
  const server = await startServer(t, { root })
  const port = server.port

  const md = await request(port, '/content/plan.md')
  t.equal(md.status, 200, 'Markdown is served')
  t.equal(md.text, '# Plan\n\n- café\n', 'as its text')
  t.equal(md.headers['content-type'], 'text/markdown; charset=utf-8', 'as text/markdown')
  t.equal(md.headers['content-security-policy'], 'sandbox', 'sandboxed')
  t.equal(md.headers['x-content-type-options'], 'nosniff', 'nosniff')
  t.ok(md.headers.etag, 'with an ETag')

  const txt = await request(port, '/content/notes.txt')
  t.equal(txt.headers['content-type'], 'text/plain; charset=utf-8', 'a .txt is text/plain')

  const svg = await request(port, '/content/page.svg')
  t.equal(svg.status, 200, 'an SVG is text')
  t.equal(svg.headers['content-type'], 'text/plain; charset=utf-8', 'served as plain text, never as an image that could script')

  const png = await request(port, '/content/image.png')
  t.equal(png.status, 415, 'a binary file is 415')
  t.equal((png.json() as { error: string }).error, 'not_text', 'not_text')

  const cut = await request(port, '/content/long.txt')
  t.equal(cut.status, 200, 'a sample cut inside a character is still text')
  t.equal(cut.text, long, 'and the whole text arrives')

  const lateNul = await request(port, '/content/late-nul.txt')
  t.equal(lateNul.status, 200, 'only the first 64 KiB decide')
  t.equal(lateNul.body.length, TEXT_SNIFF_BYTES + 1, 'the body is the whole file')

  const big = await request(port, '/content/big.txt')
  t.equal(big.status, 413, 'over 10 MiB is 413')
  const body = big.json() as { error: string; download: string; size: number; limit: number; message: string }
  t.equal(body.error, 'too_large', 'too_large')
  t.equal(body.download, '/download/big.txt', 'with the /download path to use instead')
  t.match(body.message, /\/download\/big\.txt/, 'the message says where to download it')
  t.equal(body.limit, CONTENT_MAX_BYTES, 'and the limit')
  t.equal(big.headers.link, '</download/big.txt>; rel="alternate"', 'and a Link header')

  const atLimit = await request(port, '/content/limit.txt', { method: 'HEAD' })
  t.equal(atLimit.status, 200, 'exactly 10 MiB is still served')
  t.equal(atLimit.headers['content-length'], String(CONTENT_MAX_BYTES), 'with its length')

  const again = await request(port, '/content/plan.md', { headers: { 'if-none-match': md.headers.etag as string } })
  t.equal(again.status, 304, 'If-None-Match gives 304')

  const folder = await request(port, '/content/folder')
  t.equal(folder.status, 400, 'a folder is 400')
  t.equal((folder.json() as { error: string }).error, 'not_a_file', 'not_a_file')
  const missing = await request(port, '/content/missing.md')
  t.equal(missing.status, 404, 'a missing file is 404')
})
