import t from 'tap'
import { type PublishingStatus, type SearchResult } from '@flashback/protocol'
import { appendResults, describePublishing, normalizeSha256, resultFolderRoute, searchArgs, searchProblem, shortHash } from '../../src/lib/search.js'

const HASH = 'ab'.repeat(32)
const result = (email: string, path: string, extra: Partial<SearchResult> = {}): SearchResult => ({
  email, path, name: path.slice(path.lastIndexOf('/') + 1), size: 1, sha256: HASH, online: true, mine: false, ...extra,
})
const publishing = (patch: Partial<PublishingStatus>): PublishingStatus => ({
  enabled: true, state: 'idle', files: 0, hashed: 0, bytes: 0, bytesHashed: 0, unreadable: 0, published: 0, pending: 0, syncing: true, ...patch,
})

t.test('search terms are checked and shaped before they are sent', async (t) => {
  t.match(searchProblem('name', ' a '), /at least 2 characters/, 'a name needs 2 characters after trimming')
  t.equal(searchProblem('name', 'ha'), null, 'two are enough')
  t.match(searchProblem('name', 'x'.repeat(256)), /255/, 'a name longer than a file name can be is refused')
  t.equal(normalizeSha256(' AB:CD ef '), 'abcdef', 'a pasted hash loses spaces and colons and goes lower case')
  t.equal(searchProblem('sha256', HASH.toUpperCase().match(/../g)?.join(':') ?? ''), null, 'a hash pasted with colons in upper case is fine')
  t.match(searchProblem('sha256', 'abc'), /64 hexadecimal digits/, 'a short hash is explained')
  t.same(searchArgs('name', '  harbour '), { name: 'harbour' }, 'a name goes trimmed')
  t.same(searchArgs('sha256', HASH.toUpperCase(), { cursor: 'c1', limit: 50 }), { sha256: HASH, cursor: 'c1', limit: 50 }, 'a hash goes normalised, with the page')
})

t.test("a result opens its owner's house at its folder (mine: my house)", async (t) => {
  t.same(resultFolderRoute(result('alice@example.com', 'music/song.ogg')), { name: 'peer', email: 'alice@example.com', path: 'music' }, "the file's folder in alice's house")
  t.same(resultFolderRoute(result('alice@example.com', 'song.ogg')), { name: 'peer', email: 'alice@example.com', path: '' }, 'a file at the root opens the root')
  t.same(resultFolderRoute(result('bob@example.com', 'a/b/c.txt', { mine: true })), { name: 'house', path: 'a/b' }, 'my own file opens my house')
  t.equal(shortHash(HASH), 'abababab…abab', 'a hash is shortened for reading')
})

t.test('pages are joined without repeats', async (t) => {
  const first = [result('alice@example.com', 'a'), result('alice@example.com', 'b')]
  const joined = appendResults(first, [result('ALICE@example.com', 'b'), result('carol@example.com', 'a')])
  t.same(joined.map((r) => `${r.email}:${r.path}`), ['alice@example.com:a', 'alice@example.com:b', 'carol@example.com:a'], 'a result already shown is not shown twice')
})

t.test('publishing in words', async (t) => {
  t.match(describePublishing(publishing({ enabled: false, state: 'off' })), { title: 'Not published', tone: 'muted', percent: null }, 'off')
  t.match(describePublishing(publishing({ state: 'waiting' })), { title: /Waiting/, tone: 'busy' }, 'waiting for the peer')
  t.match(describePublishing(publishing({ state: 'scanning', files: 12 })), { title: /Looking through/, detail: /12 files found/ }, 'scanning counts what it found')
  const hashing = describePublishing(publishing({ state: 'hashing', files: 340, hashed: 12, bytes: 4000, bytesHashed: 1000 }))
  t.match(hashing, { title: 'Hashing 12 of 340 files', tone: 'busy', percent: 25 }, 'hashing: files hashed of the total, a bar by bytes')
  t.match(describePublishing(publishing({ state: 'hashing', files: 3, hashed: 1, unreadable: 2 })).detail, /2 files could not be read/, 'unreadable files are mentioned')
  t.match(describePublishing(publishing({ published: 5, pending: 2 })), { title: 'Publishing…', detail: /2 changes/ }, 'hashed but not all sent yet')
  t.match(describePublishing(publishing({ published: 328 })), { title: 'Published', detail: /328 files can be found/, tone: 'ok' }, 'in step')
  t.match(describePublishing(publishing({ syncing: false })), { title: /no file registry/, tone: 'bad' }, 'a tracker without a registry is said plainly')
})
