import t from 'tap'
import { describeDownloadNotice, settledNoticeMs } from '../../src/lib/download-notice.js'

const d = { name: 'archive.bin', received: 0, total: 1000 }

t.test('the notice follows the download', async (t) => {
  t.same(describeDownloadNotice({ ...d, state: 'running', received: 420 }), { text: 'Downloading archive.bin…', tone: 'info', settled: false, percent: 42 }, 'running: what and how far')
  t.equal(describeDownloadNotice({ ...d, state: 'running', received: 1000 }).percent, 99, 'running never claims 100 %')
  t.equal(describeDownloadNotice({ ...d, state: 'running', total: null }).percent, null, 'no percentage without a size')
  t.same(describeDownloadNotice({ ...d, state: 'completed', received: 1000 }), { text: 'Downloaded archive.bin', tone: 'ok', settled: true, percent: null }, 'done says so')
  t.same(describeDownloadNotice({ ...d, state: 'failed', error: 'alice stopped answering' }), { text: 'Could not download archive.bin: alice stopped answering', tone: 'bad', settled: true, percent: null }, 'a failure says why')
  t.equal(describeDownloadNotice({ ...d, state: 'failed' }).text, 'Could not download archive.bin', 'or just that it failed')
  t.same(describeDownloadNotice({ ...d, state: 'cancelled' }), { text: 'Download of archive.bin cancelled', tone: 'info', settled: true, percent: null }, 'cancelled')
  t.ok(settledNoticeMs.failed > settledNoticeMs.completed, 'a failure stays longer than a success')
})
