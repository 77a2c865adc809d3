// AWS SDK for JavaScript v3 (@aws-sdk/client-s3, lib-storage, s3-request-presigner; pinned in
// package-lock.json) the way its users write it: an S3Client with endpoint, region us-east-1 and
// forcePathStyle, commands sent with client.send, lib-storage's Upload for big bodies, getSignedUrl
// for presigned URLs fetched with node's fetch. The SDK's defaults stay on (CRC32 checksums on
// uploads, validated on downloads). Run by run.sh with `node --test`; the S3CONF_* variables name
// the gateway and the data files. Bucket versioning: PutBucketVersioning, VersionId on
// Get/Head/Delete/Copy, ListObjectVersions paged by hand (the SDK has no paginator for it).
// Object lock (ObjectLockEnabledForBucket, default retention, retention and legal hold, locked
// deletes) and bucket lifecycle (applied by the run's worker: 2 s days, a pass every second).
// Server-side encryption: SSE-S3 (the run's gateway has a master key), bucket default encryption,
// SSE-C on PutObject/GetObject/HeadObject and through lib-storage's Upload.
import { test as nodeTest, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  S3Client,
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteBucketEncryptionCommand,
  DeleteBucketLifecycleCommand,
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'

const ENDPOINT = process.env.S3CONF_ENDPOINT || 'http://127.0.0.1:9000'
const AK = process.env.S3CONF_ACCESS_KEY || 'glusters3dev'
const SK = process.env.S3CONF_SECRET_KEY || 'glusters3dev-secret'
const MiB = 1024 * 1024
const DATA = process.env.S3CONF_DATA || '/tmp/glusters3-conformance-data'
const SIZES = { '0B': 0, '1B': 1, '5MiB-1': 5 * MiB - 1, '5MiB': 5 * MiB, '8MiB+1': 8 * MiB + 1, '64MiB': 64 * MiB }
// common.HOSTILE_KEYS, mirrored (as minio_js.test.mjs does).
const LONG_KEY = ('x'.repeat(99) + '/').repeat(10) + 'é'.repeat(12)
const HOSTILE_KEYS = {
  space: 'a b',
  plus: 'a+b',
  percent: '100%',
  punct: '&+-é"',
  japanese: '日本語/ファイル',
  dotdot: 'a/b/../c',
  'trailing-slash': 'dir/',
  a: 'a',
  'a-slash-b': 'a/b',
  '1024-bytes': LONG_KEY,
}
// What mime_guess answers for the extensions used here (the gateway guesses from the key when no
// type or a generic octet-stream type was stored).
const MIME = { '.txt': 'text/plain', '.html': 'text/html', '.json': 'application/json', '.png': 'image/png', '.csv': 'text/csv' }
const GENERIC = ['application/octet-stream', 'binary/octet-stream']

function expectedType(key, sent) {
  if (sent && !GENERIC.includes(sent)) return sent
  const name = key.split('/').pop()
  const ext = path.extname(name).toLowerCase()
  if (ext && name !== ext && MIME[ext]) return MIME[ext]
  return sent || 'binary/octet-stream'
}

function makeClient(secretAccessKey = SK) {
  return new S3Client({
    endpoint: ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: AK, secretAccessKey },
    maxAttempts: 2,
  })
}
const client = makeClient()

const sha = (buf) => crypto.createHash('sha256').update(buf).digest('hex')
const md5 = (buf) => crypto.createHash('md5').update(buf).digest('hex')
const tmp = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'js-sdk-'))
after(() => fs.rmSync(tmp, { recursive: true, force: true }))

function dataFile(size) {
  const p = path.join(DATA, `blob-${size}`)
  if (!fs.existsSync(p) || fs.statSync(p).size !== SIZES[size]) {
    fs.mkdirSync(DATA, { recursive: true })
    fs.writeFileSync(p, crypto.randomBytes(SIZES[size]))
  }
  return p
}

async function getBytes(Bucket, Key) {
  const r = await client.send(new GetObjectCommand({ Bucket, Key }))
  return { res: r, body: Buffer.from(await r.Body.transformToByteArray()) }
}

async function listKeys(Bucket, Prefix) {
  const keys = []
  for await (const page of paginateListObjectsV2({ client }, { Bucket, Prefix })) {
    for (const o of page.Contents || []) keys.push(o.Key)
  }
  return keys
}

async function tagsOf(Bucket, Key) {
  const r = await client.send(new GetObjectTaggingCommand({ Bucket, Key }))
  return Object.fromEntries((r.TagSet || []).map((t) => [t.Key, t.Value]))
}

const errName = (name) => (e) => {
  assert.equal(e.name, name, `${e.name}: ${e.message}`)
  return true
}

function bucketName() {
  return 'cf-jssdk-' + crypto.randomBytes(5).toString('hex')
}

// Cases run three at a time (most of a case is the gateway making and removing its bucket).
const cases = []
const test = (name, opts, fn) => cases.push([name, opts, fn])

// Every case gets a new bucket of its own, removed after it. The next case's bucket is made
// while the current one runs; a finished case's bucket is emptied at once and removed in the
// background (failures are reported by the last case, buckets_removed).
const ready = []
const removals = []
function prefetch() {
  const name = bucketName()
  const p = client.send(new CreateBucketCommand({ Bucket: name })).then(() => name)
  p.catch(() => {}) // surfaced by the case that takes it
  ready.push(p)
}
async function takeBucket() {
  if (!ready.length) prefetch()
  const p = ready.shift()
  prefetch()
  return p
}
async function emptyBucket(Bucket) {
  // Rules first: the lifecycle worker must not add delete markers while the bucket empties.
  await client.send(new DeleteBucketLifecycleCommand({ Bucket }))
  const ups = await client.send(new ListMultipartUploadsCommand({ Bucket }))
  for (const u of ups.Uploads || []) {
    await client.send(new AbortMultipartUploadCommand({ Bucket, Key: u.Key, UploadId: u.UploadId }))
  }
  // A versioned (or suspended) bucket: every version and delete marker goes by its id (a
  // delete without one would add a marker).
  const versioned = (await client.send(new GetBucketVersioningCommand({ Bucket }))).Status
  const objects = versioned
    ? (await allVersions(Bucket)).map(({ Key, VersionId }) => ({ Key, VersionId }))
    : (await listKeys(Bucket)).map((Key) => ({ Key }))
  if (versioned && await lockEnabled(Bucket)) return deleteLocked(Bucket, objects)
  for (let i = 0; i < objects.length; i += 1000) {
    const r = await client.send(new DeleteObjectsCommand({
      Bucket, Delete: { Objects: objects.slice(i, i + 1000), Quiet: true },
    }))
    assert.deepEqual(r.Errors || [], [], `emptying ${Bucket}`)
  }
}
async function lockEnabled(Bucket) {
  try {
    const r = await client.send(new GetObjectLockConfigurationCommand({ Bucket }))
    return r.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled'
  } catch (e) {
    if (e.name === 'ObjectLockConfigurationNotFoundError') return false
    throw e
  }
}
// A lock bucket: GOVERNANCE bypassed, legal holds lifted, COMPLIANCE retentions (seconds long in
// the cases) waited out, retried every 0.2 s for 60 s at most.
async function deleteLocked(Bucket, objects) {
  const deadline = Date.now() + 60_000
  while (objects.length) {
    const refused = []
    for (let i = 0; i < objects.length; i += 1000) {
      const r = await client.send(new DeleteObjectsCommand({
        Bucket, BypassGovernanceRetention: true, Delete: { Objects: objects.slice(i, i + 1000), Quiet: true },
      }))
      for (const e of r.Errors || []) {
        assert.equal(e.Code, 'AccessDenied', `emptying ${Bucket}: ${e.Key} ${e.Code}`)
        refused.push({ Key: e.Key, VersionId: e.VersionId })
      }
    }
    for (const o of refused) {
      const h = await client.send(new GetObjectLegalHoldCommand({ Bucket, ...o }))
      if (h.LegalHold?.Status === 'ON') {
        await client.send(new PutObjectLegalHoldCommand({ Bucket, ...o, LegalHold: { Status: 'OFF' } }))
      }
    }
    assert.ok(!refused.length || Date.now() < deadline, `emptying ${Bucket}: still locked after 60 s`)
    if (refused.length) await sleep(200)
    objects = refused
  }
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
// Polls `condition` every 0.2 s until it is true; fails after 60 s with `what`.
async function waitFor(condition, what) {
  const deadline = Date.now() + 60_000
  for (;;) {
    if (await condition()) return
    assert.ok(Date.now() < deadline, `not within 60 s: ${typeof what === 'function' ? await what() : what}`)
    await sleep(200)
  }
}

// ListObjectVersions page by page (KeyMarker and VersionIdMarker from the previous page's
// NextKeyMarker and NextVersionIdMarker), as users of the SDK write it.
async function versionPages(Bucket, params = {}) {
  const pages = []
  let markers = {}
  for (;;) {
    const page = await client.send(new ListObjectVersionsCommand({ Bucket, ...params, ...markers }))
    pages.push(page)
    if (!page.IsTruncated) return pages
    assert.ok(page.NextKeyMarker, 'a truncated page without NextKeyMarker')
    markers = { KeyMarker: page.NextKeyMarker }
    if (page.NextVersionIdMarker) markers.VersionIdMarker = page.NextVersionIdMarker
    assert.ok(pages.length < 500, 'ListObjectVersions paging does not end')
  }
}
// Every version and marker: [{ Key, VersionId, IsLatest, marker }], versions then markers.
async function allVersions(Bucket, params = {}) {
  const pages = await versionPages(Bucket, params)
  const entry = (marker) => (v) => ({ Key: v.Key, VersionId: v.VersionId, IsLatest: v.IsLatest, marker })
  return [...pages.flatMap((p) => (p.Versions || []).map(entry(false))),
    ...pages.flatMap((p) => (p.DeleteMarkers || []).map(entry(true)))]
}
async function releaseBucket(Bucket, caseName) {
  await emptyBucket(Bucket)
  removals.push(client.send(new DeleteBucketCommand({ Bucket })).then(
    () => null, (e) => `DeleteBucket ${Bucket} (bucket of ${caseName}): ${e.name}: ${e.message}`))
}

function btest(name, fn, opts = {}) {
  test(name, opts, async (t) => {
    const bucket = await takeBucket()
    try {
      await fn(bucket, t)
    } finally {
      await releaseBucket(bucket, name)
    }
  })
}

test('bucket_create_list_delete', {}, async () => {
  const Bucket = bucketName()
  await assert.rejects(client.send(new HeadBucketCommand({ Bucket })), errName('NotFound'))
  await client.send(new CreateBucketCommand({ Bucket }))
  try {
    await client.send(new HeadBucketCommand({ Bucket }))
    const list = await client.send(new ListBucketsCommand({}))
    assert.ok(list.Buckets.some((b) => b.Name === Bucket))
    assert.ok(list.Owner && list.Owner.ID)
    // The owner's re-create succeeds in us-east-1 (AWS's legacy behaviour) and changes nothing.
    await client.send(new CreateBucketCommand({ Bucket }))
    await client.send(new PutObjectCommand({ Bucket, Key: 'x', Body: 'x' }))
    await assert.rejects(client.send(new DeleteBucketCommand({ Bucket })), errName('BucketNotEmpty'))
    await client.send(new DeleteObjectCommand({ Bucket, Key: 'x' }))
  } finally {
    await client.send(new DeleteBucketCommand({ Bucket }))
  }
  const list = await client.send(new ListBucketsCommand({}))
  assert.ok(!(list.Buckets || []).some((b) => b.Name === Bucket))
})

for (const size of ['0B', '1B', '5MiB', '8MiB+1']) {
  btest(`put_get[${size}]`, async (Bucket) => {
    const data = fs.readFileSync(dataFile(size))
    const Key = `sizes/${size}.json`
    const put = await client.send(new PutObjectCommand({ Bucket, Key, Body: data }))
    assert.equal(put.ETag, `"${md5(data)}"`)
    const { res, body } = await getBytes(Bucket, Key)
    assert.equal(res.ContentLength, data.length)
    assert.equal(res.ETag, put.ETag)
    assert.equal(res.ContentType, expectedType(Key, 'application/octet-stream'))
    assert.equal(sha(body), sha(data))
  })
}

btest('put_stream_get_range', async (Bucket) => {
  const src = dataFile('5MiB-1')
  const Key = 'stream/blob'
  await client.send(new PutObjectCommand({ Bucket, Key, Body: fs.createReadStream(src), ContentLength: SIZES['5MiB-1'] }))
  const data = fs.readFileSync(src)
  assert.equal(sha((await getBytes(Bucket, Key)).body), sha(data))
  const r = await client.send(new GetObjectCommand({ Bucket, Key, Range: 'bytes=100-199' }))
  assert.equal(r.ContentRange, `bytes 100-199/${data.length}`)
  assert.ok(Buffer.from(await r.Body.transformToByteArray()).equals(data.subarray(100, 200)))
})

for (const [name, Key] of Object.entries(HOSTILE_KEYS)) {
  btest(`hostile_key[${name}]`, async (Bucket) => {
    const data = Buffer.concat([Buffer.from(`body of ${JSON.stringify(Key)}\n`), crypto.randomBytes(37)])
    const put = await client.send(new PutObjectCommand({ Bucket, Key, Body: data }))
    assert.equal(put.ETag, `"${md5(data)}"`)
    const h = await client.send(new HeadObjectCommand({ Bucket, Key }))
    assert.equal(h.ContentLength, data.length)
    // The SDK sends Content-Type: application/octet-stream for a body without a type.
    assert.equal(h.ContentType, expectedType(Key, 'application/octet-stream'))
    const { body } = await getBytes(Bucket, Key)
    assert.ok(body.equals(data), `bytes of ${Key}`)
    assert.deepEqual(await listKeys(Bucket), [Key])
    await client.send(new DeleteObjectCommand({ Bucket, Key }))
    assert.deepEqual(await listKeys(Bucket), [])
  })
}

btest('lib_storage_upload_with_tags', async (Bucket) => {
  // 20 MiB in 5 MiB parts, tagged: Upload puts the tags with PutObjectTagging after Complete.
  const data = crypto.randomBytes(20 * MiB)
  const Key = 'upload/big file.bin'
  const tags = [{ Key: 'color', Value: 'blue' }, { Key: 'project', Value: 'conformance run' }]
  const up = new Upload({ client, params: { Bucket, Key, Body: data }, tags, partSize: 5 * MiB, queueSize: 3 })
  const done = await up.done()
  assert.match(done.ETag, /-4"$/)
  const { res, body } = await getBytes(Bucket, Key)
  assert.equal(res.ContentLength, data.length)
  assert.equal(sha(body), sha(data))
  assert.deepEqual(await tagsOf(Bucket, Key), { color: 'blue', project: 'conformance run' })
})

btest('lib_storage_upload_stream', async (Bucket) => {
  // A stream of unknown length: Upload buffers parts of partSize and uploads them as it goes.
  const src = dataFile('8MiB+1')
  const Key = 'upload/stream'
  const up = new Upload({ client, params: { Bucket, Key, Body: fs.createReadStream(src) }, partSize: 5 * MiB })
  const done = await up.done()
  assert.match(done.ETag, /-2"$/)
  assert.equal(sha((await getBytes(Bucket, Key)).body), sha(fs.readFileSync(src)))
})

btest('multipart', async (Bucket) => {
  const Key = 'mp/日本語 file'
  const a = fs.readFileSync(dataFile('5MiB'))
  const b = crypto.randomBytes(1234)
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType: 'text/csv' }))
  const e1 = (await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: a }))).ETag
  const e2 = (await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 2, Body: b }))).ETag
  const parts = await client.send(new ListPartsCommand({ Bucket, Key, UploadId }))
  assert.deepEqual(parts.Parts.map((p) => [p.PartNumber, p.ETag, p.Size]), [[1, e1, 5 * MiB], [2, e2, 1234]])
  const done = await client.send(new CompleteMultipartUploadCommand({
    Bucket, Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }] },
  }))
  assert.match(done.ETag, /-2"$/)
  const { res, body } = await getBytes(Bucket, Key)
  assert.equal(res.ContentType, 'text/csv')
  assert.equal(sha(body), sha(Buffer.concat([a, b])))
  const other = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: 'aborted' }))
  await client.send(new AbortMultipartUploadCommand({ Bucket, Key: 'aborted', UploadId: other.UploadId }))
  assert.deepEqual((await client.send(new ListMultipartUploadsCommand({ Bucket }))).Uploads || [], [])
  await assert.rejects(
    client.send(new ListPartsCommand({ Bucket, Key: 'aborted', UploadId: other.UploadId })), errName('NoSuchUpload'))
  assert.deepEqual(await listKeys(Bucket), [Key])
})

btest('copy_object', async (Bucket) => {
  const data = crypto.randomBytes(3000)
  const src = 'src/a b+c.txt'
  await client.send(new PutObjectCommand({ Bucket, Key: src, Body: data, Metadata: { k: 'v' }, ContentType: 'text/html' }))
  // CopySource is the caller's to URL-encode.
  const CopySource = `${Bucket}/${encodeURIComponent(src)}`
  const c = await client.send(new CopyObjectCommand({ Bucket, Key: 'dst/copy', CopySource }))
  assert.equal(c.CopyObjectResult.ETag, `"${md5(data)}"`)
  let h = await client.send(new HeadObjectCommand({ Bucket, Key: 'dst/copy' }))
  assert.deepEqual(h.Metadata, { k: 'v' })
  assert.equal(h.ContentType, 'text/html')
  assert.ok((await getBytes(Bucket, 'dst/copy')).body.equals(data))
  await client.send(new CopyObjectCommand({
    Bucket, Key: 'dst/replaced', CopySource, MetadataDirective: 'REPLACE', Metadata: { n: 'w' }, ContentType: 'text/csv',
  }))
  h = await client.send(new HeadObjectCommand({ Bucket, Key: 'dst/replaced' }))
  assert.deepEqual(h.Metadata, { n: 'w' })
  assert.equal(h.ContentType, 'text/csv')
  await assert.rejects(
    client.send(new CopyObjectCommand({ Bucket, Key: 'dst/x', CopySource: `${Bucket}/missing` })), errName('NoSuchKey'))
})

btest('delete_objects', async (Bucket) => {
  const keys = [...Object.values(HOSTILE_KEYS), ...Array.from({ length: 20 }, (_, i) => `r/${i}`)]
  for (const Key of keys) await client.send(new PutObjectCommand({ Bucket, Key, Body: 'x' }))
  const gone = [...keys.slice(0, -5), 'missing']
  const r = await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: gone.map((Key) => ({ Key })) } }))
  assert.deepEqual(r.Errors || [], [])
  assert.deepEqual(r.Deleted.map((d) => d.Key).sort(), [...gone].sort())
  assert.deepEqual((await listKeys(Bucket)).sort(), keys.slice(-5).sort())
})

btest('list_objects_v2_pagination', async (Bucket) => {
  const keys = [...Array.from({ length: 23 }, (_, i) => `p/${String(i).padStart(2, '0')}`), 'p/sub/x', 'q', '日本語/ファイル']
  for (let i = 0; i < keys.length; i += 10) {
    await Promise.all(keys.slice(i, i + 10).map((Key) => client.send(new PutObjectCommand({ Bucket, Key, Body: '12345' }))))
  }
  const byteOrder = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
  const pages = []
  for await (const page of paginateListObjectsV2({ client, pageSize: 7 }, { Bucket })) pages.push(page)
  assert.equal(pages.length, Math.ceil(keys.length / 7))
  assert.deepEqual(pages.flatMap((p) => (p.Contents || []).map((o) => o.Key)), byteOrder)
  assert.ok(pages.slice(0, -1).every((p) => p.IsTruncated && p.NextContinuationToken && p.KeyCount === 7))
  assert.equal(pages.at(-1).IsTruncated, false)
  assert.equal(pages[0].Contents[0].Size, 5)
  assert.equal(pages[0].Contents[0].ETag, `"${md5(Buffer.from('12345'))}"`)
  const top = await client.send(new ListObjectsV2Command({ Bucket, Delimiter: '/' }))
  assert.deepEqual((top.CommonPrefixes || []).map((p) => p.Prefix), ['p/', '日本語/'])
  assert.deepEqual((top.Contents || []).map((o) => o.Key), ['q'])
  const after = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'p/', StartAfter: 'p/20' }))
  assert.deepEqual(after.Contents.map((o) => o.Key), ['p/21', 'p/22', 'p/sub/x'])
})

btest('presigned_get_put', async (Bucket) => {
  // (Not a/b/../c: fetch resolves the dot segments of a URL, as WHATWG URLs are, before sending.)
  for (const Key of ['pre/plain.txt', 'pre/a b+c%&.json', '日本語/ファイル', 'dir/']) {
    const data = Buffer.concat([Buffer.from(Key), crypto.randomBytes(20)])
    const putUrl = await getSignedUrl(client, new PutObjectCommand({ Bucket, Key }), { expiresIn: 300 })
    assert.match(putUrl, /X-Amz-Signature=/)
    const put = await fetch(putUrl, { method: 'PUT', body: data })
    assert.equal(put.status, 200, await put.text())
    assert.equal(put.headers.get('etag'), `"${md5(data)}"`)
    const getUrl = await getSignedUrl(client, new GetObjectCommand({ Bucket, Key }), { expiresIn: 300 })
    const got = await fetch(getUrl)
    assert.equal(got.status, 200)
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(data), `bytes of ${Key}`)
    // fetch sends no Content-Type for a Buffer body.
    assert.equal(got.headers.get('content-type'), expectedType(Key, undefined))
  }
  const url = await getSignedUrl(client, new GetObjectCommand({ Bucket, Key: 'pre/plain.txt', ResponseContentType: 'text/csv' }), { expiresIn: 60 })
  assert.equal((await fetch(url)).headers.get('content-type'), 'text/csv')
  const tampered = url.replace('pre/plain.txt', 'pre/other.txt')
  const bad = await fetch(tampered)
  assert.equal(bad.status, 403)
  assert.match(await bad.text(), /<Code>SignatureDoesNotMatch<\/Code>/)
})

btest('object_tagging', async (Bucket) => {
  const Key = 'tagged/a b.txt'
  await client.send(new PutObjectCommand({ Bucket, Key, Body: 'tagged', Tagging: 'k1=v%201&k2=' }))
  assert.deepEqual(await tagsOf(Bucket, Key), { k1: 'v 1', k2: '' })
  await client.send(new PutObjectTaggingCommand({
    Bucket, Key, Tagging: { TagSet: [{ Key: 'color', Value: 'blue' }, { Key: 'team', Value: 'a+b' }] },
  }))
  assert.deepEqual(await tagsOf(Bucket, Key), { color: 'blue', team: 'a+b' })
  const got = await client.send(new GetObjectCommand({ Bucket, Key }))
  await got.Body.transformToByteArray()
  assert.equal(got.TagCount, 2)
  await client.send(new DeleteObjectTaggingCommand({ Bucket, Key }))
  assert.deepEqual(await tagsOf(Bucket, Key), {})
  await assert.rejects(client.send(new GetObjectTaggingCommand({ Bucket, Key: 'missing' })), errName('NoSuchKey'))
})

btest('head_object_metadata', async (Bucket) => {
  const Key = 'm/doc.txt'
  const put = await client.send(new PutObjectCommand({
    Bucket, Key, Body: 'hello',
    ContentType: 'application/x-doc',
    CacheControl: 'max-age=60',
    ContentDisposition: 'attachment; filename="d.txt"',
    ContentEncoding: 'identity',
    Metadata: { color: 'blue', 'mixed-case': 'Yes' },
  }))
  const h = await client.send(new HeadObjectCommand({ Bucket, Key }))
  assert.equal(h.ContentLength, 5)
  assert.equal(h.ETag, put.ETag)
  assert.equal(h.ContentType, 'application/x-doc')
  assert.equal(h.CacheControl, 'max-age=60')
  assert.equal(h.ContentDisposition, 'attachment; filename="d.txt"')
  assert.deepEqual(h.Metadata, { color: 'blue', 'mixed-case': 'Yes' })
  assert.ok(h.LastModified instanceof Date)
  await assert.rejects(client.send(new HeadObjectCommand({ Bucket, Key: 'missing' })), errName('NotFound'))
  await assert.rejects(
    client.send(new HeadObjectCommand({ Bucket, Key, IfNoneMatch: put.ETag })), (e) => e.$metadata.httpStatusCode === 304)
})

btest('errors', async (Bucket) => {
  await assert.rejects(client.send(new GetObjectCommand({ Bucket, Key: 'missing' })), (e) => {
    assert.equal(e.name, 'NoSuchKey')
    assert.equal(e.$metadata.httpStatusCode, 404)
    return true
  })
  await assert.rejects(client.send(new ListObjectsV2Command({ Bucket: Bucket + '-nope' })), errName('NoSuchBucket'))
  await assert.rejects(client.send(new GetObjectCommand({ Bucket: Bucket + '-nope', Key: 'k' })), errName('NoSuchBucket'))
  await assert.rejects(client.send(new DeleteBucketCommand({ Bucket: Bucket + '-nope' })), errName('NoSuchBucket'))
  await assert.rejects(makeClient('wrong').send(new ListObjectsV2Command({ Bucket })), errName('SignatureDoesNotMatch'))
})

// ------------------------------------------------------------------ versioning

const VERSION_ID = /^[0-9a-f]{24}$/
const setVersioning = async (Bucket, Status) => {
  await client.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status } }))
  assert.equal((await client.send(new GetBucketVersioningCommand({ Bucket }))).Status, Status)
}
const rejectsWith = (status, name, marker) => (e) => {
  assert.equal(e.$metadata.httpStatusCode, status, `${e.name}: ${e.message}`)
  if (name) assert.equal(e.name, name)
  if (marker) assert.equal(e.$response?.headers?.['x-amz-delete-marker'], 'true')
  return true
}

btest('versioning_round_trip', async (Bucket) => {
  assert.equal((await client.send(new GetBucketVersioningCommand({ Bucket }))).Status, undefined)
  await setVersioning(Bucket, 'Enabled')
  const Key = 'v/a b+c.txt'
  const bodies = new Map()
  const ids = [] // newest first
  for (const size of [0, 10, 70000]) {
    const data = crypto.randomBytes(size)
    const put = await client.send(new PutObjectCommand({ Bucket, Key, Body: data }))
    assert.match(put.VersionId, VERSION_ID)
    bodies.set(put.VersionId, data)
    ids.unshift(put.VersionId)
  }
  assert.equal(new Set(ids).size, 3)
  for (const [VersionId, data] of bodies) {
    const r = await client.send(new GetObjectCommand({ Bucket, Key, VersionId }))
    assert.equal(r.VersionId, VersionId)
    assert.ok(Buffer.from(await r.Body.transformToByteArray()).equals(data), `bytes of ${VersionId}`)
    const h = await client.send(new HeadObjectCommand({ Bucket, Key, VersionId }))
    assert.equal(h.VersionId, VersionId)
    assert.equal(h.ContentLength, data.length)
  }
  assert.equal((await client.send(new HeadObjectCommand({ Bucket, Key }))).VersionId, ids[0])
  assert.deepEqual(await listKeys(Bucket), [Key])
  // A delete marker.
  const d = await client.send(new DeleteObjectCommand({ Bucket, Key }))
  assert.equal(d.DeleteMarker, true)
  assert.match(d.VersionId, VERSION_ID)
  await assert.rejects(client.send(new GetObjectCommand({ Bucket, Key })), rejectsWith(404, 'NoSuchKey', true))
  await assert.rejects(client.send(new HeadObjectCommand({ Bucket, Key })), rejectsWith(404, 'NotFound', true))
  await assert.rejects(client.send(new GetObjectCommand({ Bucket, Key, VersionId: d.VersionId })),
    rejectsWith(405, 'MethodNotAllowed', true))
  await assert.rejects(client.send(new HeadObjectCommand({ Bucket, Key, VersionId: d.VersionId })), rejectsWith(405))
  await assert.rejects(client.send(new GetObjectCommand({ Bucket, Key, VersionId: '0000000000000001deadbeef' })),
    rejectsWith(404, 'NoSuchVersion'))
  await assert.rejects(client.send(new GetObjectCommand({ Bucket, Key, VersionId: 'abc' })), rejectsWith(400, 'InvalidArgument'))
  assert.deepEqual(await listKeys(Bucket), [])
  assert.deepEqual(await allVersions(Bucket), [
    ...ids.map((VersionId) => ({ Key, VersionId, IsLatest: false, marker: false })),
    { Key, VersionId: d.VersionId, IsLatest: true, marker: true },
  ])
  // Deleting the marker by id restores the latest; deleting a version removes it for good.
  const dm = await client.send(new DeleteObjectCommand({ Bucket, Key, VersionId: d.VersionId }))
  assert.equal(dm.DeleteMarker, true)
  assert.equal(dm.VersionId, d.VersionId)
  assert.equal((await client.send(new HeadObjectCommand({ Bucket, Key }))).VersionId, ids[0])
  const dv = await client.send(new DeleteObjectCommand({ Bucket, Key, VersionId: ids[0] }))
  assert.equal(dv.VersionId, ids[0])
  assert.ok(!dv.DeleteMarker)
  const { res, body } = await getBytes(Bucket, Key)
  assert.equal(res.VersionId, ids[1])
  assert.ok(body.equals(bodies.get(ids[1])))
  // Suspended: writes are the null version, each replacing the last.
  await setVersioning(Bucket, 'Suspended')
  for (const text of ['s1', 's2']) await client.send(new PutObjectCommand({ Bucket, Key, Body: text }))
  const nul = await getBytes(Bucket, Key)
  assert.equal(nul.res.VersionId, 'null')
  assert.equal(nul.body.toString(), 's2')
  assert.deepEqual((await allVersions(Bucket)).map((v) => [v.VersionId, v.IsLatest]), [['null', true], [ids[1], false], [ids[2], false]])
})

btest('list_object_versions_pages', async (Bucket) => {
  await client.send(new PutObjectCommand({ Bucket, Key: 'a b', Body: 'null version' }))
  await setVersioning(Bucket, 'Enabled')
  for (const [Key, n] of [['a b', 2], ['a+b', 3], ['d/x', 1], ['d/y/z', 2], ['日本語/ファイル', 1]]) {
    for (let i = 0; i < n; i++) await client.send(new PutObjectCommand({ Bucket, Key, Body: crypto.randomBytes(5) }))
  }
  for (const Key of ['a+b', 'd/x', 'gone']) await client.send(new DeleteObjectCommand({ Bucket, Key }))
  const [whole] = await versionPages(Bucket)
  assert.equal(whole.IsTruncated, false)
  assert.equal((whole.Versions || []).length, 10)
  assert.equal((whole.DeleteMarkers || []).length, 3)
  const want = await allVersions(Bucket)
  // Keys in byte order (each of the two lists).
  for (const marker of [false, true]) {
    const keys = want.filter((v) => v.marker === marker).map((v) => v.Key)
    assert.deepEqual(keys, [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))))
  }
  for (const MaxKeys of [1, 2, 3, 5]) {
    const pages = await versionPages(Bucket, { MaxKeys })
    assert.equal(pages.length, Math.ceil(13 / MaxKeys), `MaxKeys ${MaxKeys}`)
    for (const p of pages.slice(0, -1)) {
      assert.equal((p.Versions || []).length + (p.DeleteMarkers || []).length, MaxKeys)
    }
    assert.deepEqual(await allVersions(Bucket, { MaxKeys }), want, `MaxKeys ${MaxKeys}`)
  }
  assert.deepEqual(await allVersions(Bucket, { MaxKeys: 1, Prefix: 'd/' }), want.filter((v) => v.Key.startsWith('d/')))
  const top = await versionPages(Bucket, { MaxKeys: 1, Delimiter: '/' })
  assert.deepEqual(top.flatMap((p) => (p.CommonPrefixes || []).map((c) => c.Prefix)), ['d/', '日本語/'])
  assert.deepEqual(await allVersions(Bucket, { MaxKeys: 2, Delimiter: '/' }), want.filter((v) => !v.Key.includes('/')))
})

btest('versioning_delete_objects_and_copy', async (Bucket) => {
  await setVersioning(Bucket, 'Enabled')
  const put = async (Key, Body) => (await client.send(new PutObjectCommand({ Bucket, Key, Body }))).VersionId
  const a1 = await put('src/a b', 'a one')
  const a2 = await put('src/a b', 'a two')
  // CopyObject of a named version (the version in CopySource, the key URL-encoded by the caller).
  const c = await client.send(new CopyObjectCommand({
    Bucket, Key: 'dst', CopySource: `${Bucket}/${encodeURIComponent('src/a b')}?versionId=${a1}`,
  }))
  assert.equal(c.CopySourceVersionId, a1)
  assert.match(c.VersionId, VERSION_ID)
  assert.equal((await getBytes(Bucket, 'dst')).body.toString(), 'a one')
  const marker = (await client.send(new DeleteObjectCommand({ Bucket, Key: 'dst' }))).VersionId
  const r = await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [
    { Key: 'src/a b', VersionId: a2 }, // the current version: a1 is current again
    { Key: 'dst', VersionId: marker }, // a marker: the copy is back
    { Key: 'other' }, // no version: a new marker
  ] } }))
  assert.deepEqual(r.Errors || [], [])
  const got = Object.fromEntries(r.Deleted.map((d) => [d.Key, d]))
  assert.equal(got['src/a b'].VersionId, a2)
  assert.ok(!got['src/a b'].DeleteMarker)
  assert.equal(got.dst.DeleteMarker, true)
  assert.equal(got.dst.DeleteMarkerVersionId, marker)
  assert.equal(got.other.DeleteMarker, true)
  assert.match(got.other.DeleteMarkerVersionId, VERSION_ID)
  assert.equal((await getBytes(Bucket, 'src/a b')).body.toString(), 'a one')
  assert.equal((await getBytes(Bucket, 'dst')).body.toString(), 'a one')
  assert.deepEqual((await listKeys(Bucket)).sort(), ['dst', 'src/a b'])
  // Everything, by version: the bucket can be deleted afterwards (releaseBucket checks that).
  const all = await allVersions(Bucket)
  assert.equal(all.length, 3)
  const q = await client.send(new DeleteObjectsCommand({
    Bucket, Delete: { Objects: all.map(({ Key, VersionId }) => ({ Key, VersionId })), Quiet: true },
  }))
  assert.deepEqual(q.Errors || [], [])
  assert.deepEqual(await allVersions(Bucket), [])
})

// ------------------------------------------------------------------ object lock and lifecycle

test('object_lock', {}, async () => {
  const Bucket = bucketName()
  await client.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }))
  try {
    assert.equal((await client.send(new GetBucketVersioningCommand({ Bucket }))).Status, 'Enabled')
    assert.deepEqual((await client.send(new GetObjectLockConfigurationCommand({ Bucket }))).ObjectLockConfiguration,
      { ObjectLockEnabled: 'Enabled' })
    await client.send(new PutObjectLockConfigurationCommand({ Bucket, ObjectLockConfiguration: {
      ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } } } }))
    // A backup tool's snapshot under the default retention: its version cannot be deleted.
    const snap = await client.send(new PutObjectCommand({ Bucket, Key: 'snapshots/1', Body: 'snapshot' }))
    assert.match(snap.VersionId, VERSION_ID)
    const h = await client.send(new HeadObjectCommand({ Bucket, Key: 'snapshots/1' }))
    assert.equal(h.ObjectLockMode, 'GOVERNANCE')
    assert.ok(Math.abs(h.ObjectLockRetainUntilDate - Date.now() - 86400_000) < 60_000, String(h.ObjectLockRetainUntilDate))
    assert.equal(h.ObjectLockLegalHoldStatus, undefined)
    await assert.rejects(client.send(new DeleteObjectCommand({ Bucket, Key: 'snapshots/1', VersionId: snap.VersionId })),
      rejectsWith(403, 'AccessDenied'))
    await client.send(new DeleteObjectCommand({ Bucket, Key: 'snapshots/1', VersionId: snap.VersionId, BypassGovernanceRetention: true }))
    // Explicit COMPLIANCE (a few seconds) and a legal hold on PutObject (the SDK sends its CRC32).
    const until = new Date(Date.now() + 6000)
    const put = await client.send(new PutObjectCommand({ Bucket, Key: 'pack', Body: crypto.randomBytes(1000),
      ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until, ObjectLockLegalHoldStatus: 'ON' }))
    const VersionId = put.VersionId
    const ret = (await client.send(new GetObjectRetentionCommand({ Bucket, Key: 'pack', VersionId }))).Retention
    assert.equal(ret.Mode, 'COMPLIANCE')
    assert.ok(Math.abs(ret.RetainUntilDate - until) < 1000, String(ret.RetainUntilDate))
    assert.equal((await client.send(new GetObjectLegalHoldCommand({ Bucket, Key: 'pack' }))).LegalHold.Status, 'ON')
    await client.send(new PutObjectLegalHoldCommand({ Bucket, Key: 'pack', VersionId, LegalHold: { Status: 'OFF' } }))
    assert.equal((await client.send(new GetObjectLegalHoldCommand({ Bucket, Key: 'pack' }))).LegalHold.Status, 'OFF')
    await assert.rejects(client.send(new PutObjectRetentionCommand({ Bucket, Key: 'pack', VersionId, BypassGovernanceRetention: true,
      Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(until.getTime() - 2000) } })), rejectsWith(403, 'AccessDenied'))
    const r = await client.send(new DeleteObjectsCommand({ Bucket, BypassGovernanceRetention: true,
      Delete: { Objects: [{ Key: 'pack', VersionId }] } }))
    assert.deepEqual((r.Errors || []).map((e) => [e.Key, e.VersionId, e.Code]), [['pack', VersionId, 'AccessDenied']])
    await assert.rejects(client.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Suspended' } })),
      rejectsWith(409, 'InvalidBucketState'))
    await waitFor(async () => {
      try {
        await client.send(new DeleteObjectCommand({ Bucket, Key: 'pack', VersionId }))
        return true
      } catch (e) {
        assert.equal(e.name, 'AccessDenied')
        return false
      }
    }, 'the COMPLIANCE retention of pack to end')
    assert.deepEqual(await allVersions(Bucket), [])
  } finally {
    await releaseBucket(Bucket, 'object_lock')
  }
})

btest('lifecycle', async (Bucket) => {
  // A bucket made without lock has no lock configuration.
  await assert.rejects(client.send(new GetObjectLockConfigurationCommand({ Bucket })),
    rejectsWith(404, 'ObjectLockConfigurationNotFoundError'))
  await assert.rejects(client.send(new GetBucketLifecycleConfigurationCommand({ Bucket })),
    rejectsWith(404, 'NoSuchLifecycleConfiguration'))
  const put = (Rules) => client.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules } }))
  const one = { ID: 'x', Status: 'Enabled', Filter: { Prefix: 'x/' }, Expiration: { Days: 1 } }
  await assert.rejects(put([{ ...one, Transitions: [{ Days: 30, StorageClass: 'GLACIER' }] }]), rejectsWith(501, 'NotImplemented'))
  await assert.rejects(put([{ ...one, Filter: { Prefix: 'x/', Tag: { Key: 't', Value: 'v' } } }]), rejectsWith(400, 'MalformedXML'))
  await assert.rejects(put([one, one]), rejectsWith(400, 'InvalidArgument'))
  const Rules = [
    { ID: 'tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } },
    { ID: 'tagged', Status: 'Enabled', Filter: { And: { Prefix: 'p/', Tags: [{ Key: 'a', Value: '1' }], ObjectSizeGreaterThan: 1 } },
      NoncurrentVersionExpiration: { NoncurrentDays: 30, NewerNoncurrentVersions: 2 } },
    { ID: 'uploads', Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
  ]
  // AWS: AbortIncompleteMultipartUpload cannot be specified with tags.
  await assert.rejects(put([{ ...Rules[1], AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }]),
    rejectsWith(400, 'InvalidArgument'))
  await put(Rules)
  assert.deepEqual((await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules, Rules)
  const p = await client.send(new PutObjectCommand({ Bucket, Key: 'tmp/a b', Body: 'temporary' }))
  assert.match(p.Expiration, /^expiry-date="[^"]+ GMT", rule-id="tmp"$/)
  await client.send(new PutObjectCommand({ Bucket, Key: 'keep/a', Body: 'kept' }))
  await waitFor(async () => (await listKeys(Bucket, 'tmp/')).length === 0, async () => `tmp/ to expire: ${await listKeys(Bucket)}`)
  assert.deepEqual(await listKeys(Bucket), ['keep/a'])
  assert.equal((await client.send(new HeadObjectCommand({ Bucket, Key: 'keep/a' }))).Expiration, undefined)
  await client.send(new DeleteBucketLifecycleCommand({ Bucket }))
  await assert.rejects(client.send(new GetBucketLifecycleConfigurationCommand({ Bucket })),
    rejectsWith(404, 'NoSuchLifecycleConfiguration'))
})

// ------------------------------------------------------------------ server-side encryption

// SSE-C: the SDK's ssec middleware takes SSECustomerKey as base64 of the 32-byte key (a string
// that decodes to 32 bytes is sent as is) or as the raw bytes (a Uint8Array, base64-encoded for
// the header), and adds SSECustomerKeyMD5 itself.
const keyMd5 = (key) => crypto.createHash('md5').update(key).digest('base64')
const sseC = (key) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64') })
const CHUNK = 64 * 1024 // the gateway encrypts in 64 KiB chunks

btest('sse_c_put_get_head', async (Bucket) => {
  const key = crypto.randomBytes(32)
  const Key = 'c/a b.bin'
  const data = crypto.randomBytes(200_000)
  const put = await client.send(new PutObjectCommand({ Bucket, Key, Body: data, ContentType: 'text/x-c', ...sseC(key) }))
  assert.equal(put.SSECustomerAlgorithm, 'AES256')
  assert.equal(put.SSECustomerKeyMD5, keyMd5(key))
  // AWS: the ETag of an SSE-C object is not the MD5 of its data.
  assert.notEqual(put.ETag, `"${md5(data)}"`)
  const got = await client.send(new GetObjectCommand({ Bucket, Key, ...sseC(key) }))
  assert.equal(got.SSECustomerAlgorithm, 'AES256')
  assert.equal(got.SSECustomerKeyMD5, keyMd5(key))
  assert.equal(got.ETag, put.ETag)
  assert.equal(got.ContentType, 'text/x-c')
  assert.equal(sha(Buffer.from(await got.Body.transformToByteArray())), sha(data))
  // The raw key bytes work as well as their base64.
  const h = await client.send(new HeadObjectCommand({ Bucket, Key, SSECustomerAlgorithm: 'AES256', SSECustomerKey: key }))
  assert.equal(h.ContentLength, data.length)
  assert.equal(h.SSECustomerKeyMD5, keyMd5(key))
  // A range across a 64 KiB chunk boundary.
  const r = await client.send(new GetObjectCommand({ Bucket, Key, Range: `bytes=${CHUNK - 7}-${CHUNK + 6}`, ...sseC(key) }))
  assert.equal(r.ContentRange, `bytes ${CHUNK - 7}-${CHUNK + 6}/${data.length}`)
  assert.ok(Buffer.from(await r.Body.transformToByteArray()).equals(data.subarray(CHUNK - 7, CHUNK + 7)))
})

btest('sse_c_key_required', async (Bucket) => {
  const key = crypto.randomBytes(32)
  const Key = 'c/secret'
  await client.send(new PutObjectCommand({ Bucket, Key, Body: 'secret', ...sseC(key) }))
  // Without the key: 400 InvalidRequest; another key: 403 AccessDenied (HEAD: the status only).
  await assert.rejects(client.send(new GetObjectCommand({ Bucket, Key })), rejectsWith(400, 'InvalidRequest'))
  await assert.rejects(client.send(new HeadObjectCommand({ Bucket, Key })), rejectsWith(400))
  const other = sseC(crypto.randomBytes(32))
  await assert.rejects(client.send(new GetObjectCommand({ Bucket, Key, ...other })), rejectsWith(403, 'AccessDenied'))
  await assert.rejects(client.send(new HeadObjectCommand({ Bucket, Key, ...other })), rejectsWith(403))
  // (A mismatched key-MD5 is test_boto3.py's: the SDK's middleware always replaces
  // SSECustomerKeyMD5 with the key's own.)
  assert.deepEqual(await listKeys(Bucket), [Key])
  const { Body } = await client.send(new GetObjectCommand({ Bucket, Key, ...sseC(key) }))
  assert.equal(await Body.transformToString(), 'secret')
})

btest('sse_s3_and_bucket_default', async (Bucket) => {
  const data = crypto.randomBytes(100_000)
  const put = await client.send(new PutObjectCommand({ Bucket, Key: 's3', Body: data, ServerSideEncryption: 'AES256' }))
  assert.equal(put.ServerSideEncryption, 'AES256')
  assert.equal(put.ETag, `"${md5(data)}"`) // SSE-S3: the plaintext's MD5 still
  const { res, body } = await getBytes(Bucket, 's3')
  assert.equal(res.ServerSideEncryption, 'AES256')
  assert.equal(res.ETag, put.ETag)
  assert.equal(sha(body), sha(data))
  assert.equal((await client.send(new HeadObjectCommand({ Bucket, Key: 's3' }))).ServerSideEncryption, 'AES256')
  // Bucket default encryption: a PutObject without the header is SSE-S3 too.
  await assert.rejects(client.send(new GetBucketEncryptionCommand({ Bucket })),
    rejectsWith(404, 'ServerSideEncryptionConfigurationNotFoundError'))
  const Rules = [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }]
  await client.send(new PutBucketEncryptionCommand({ Bucket, ServerSideEncryptionConfiguration: { Rules } }))
  const conf = await client.send(new GetBucketEncryptionCommand({ Bucket }))
  assert.deepEqual(conf.ServerSideEncryptionConfiguration.Rules.map((r) => r.ApplyServerSideEncryptionByDefault.SSEAlgorithm), ['AES256'])
  const plain = await client.send(new PutObjectCommand({ Bucket, Key: 'default', Body: 'by default' }))
  assert.equal(plain.ServerSideEncryption, 'AES256')
  const d = await getBytes(Bucket, 'default')
  assert.equal(d.res.ServerSideEncryption, 'AES256')
  assert.equal(d.body.toString(), 'by default')
  // SSE-KMS is not implemented.
  await assert.rejects(client.send(new PutObjectCommand({ Bucket, Key: 'kms', Body: 'x', ServerSideEncryption: 'aws:kms' })),
    rejectsWith(501, 'NotImplemented'))
  await client.send(new DeleteBucketEncryptionCommand({ Bucket }))
  await assert.rejects(client.send(new GetBucketEncryptionCommand({ Bucket })),
    rejectsWith(404, 'ServerSideEncryptionConfigurationNotFoundError'))
})

btest('lib_storage_upload_sse_c', async (Bucket) => {
  // Upload spreads its params into CreateMultipartUpload, every UploadPart and Complete: the
  // SSE-C key goes with each part.
  const src = dataFile('8MiB+1')
  const key = crypto.randomBytes(32)
  const Key = 'upload/sse-c.bin'
  const up = new Upload({ client, params: { Bucket, Key, Body: fs.createReadStream(src), ...sseC(key) }, partSize: 5 * MiB })
  const done = await up.done()
  assert.match(done.ETag, /-2"$/)
  const data = fs.readFileSync(src)
  const got = await client.send(new GetObjectCommand({ Bucket, Key, ...sseC(key) }))
  assert.equal(got.ContentLength, data.length)
  assert.equal(got.SSECustomerKeyMD5, keyMd5(key))
  assert.equal(sha(Buffer.from(await got.Body.transformToByteArray())), sha(data))
  await assert.rejects(client.send(new GetObjectCommand({ Bucket, Key })), rejectsWith(400, 'InvalidRequest'))
})

describe('js-sdk', { concurrency: Number(process.env.CONFORMANCE_JOBS || 3) }, () => {
  for (const [name, opts, fn] of cases) nodeTest(name, opts, fn)
})

nodeTest('buckets_removed', async () => {
  for (const p of ready.splice(0)) {
    const name = await p.catch(() => null)
    if (name) {
      removals.push(client.send(new DeleteBucketCommand({ Bucket: name })).then(
        () => null, (e) => `DeleteBucket ${name} (unused): ${e.message}`))
    }
  }
  const failed = (await Promise.all(removals)).filter(Boolean)
  assert.deepEqual(failed, [])
})
