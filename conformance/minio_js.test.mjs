// minio-js (npm `minio`, pinned in package-lock.json) the way its users write it: a Client
// with endPoint/port/useSSL:false and a partSize, promises, streams for listings.
// Run by run.sh with `node --test`; the S3CONF_* variables name the gateway and the data files.
import { test as nodeTest, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import * as Minio from 'minio'

const endpoint = new URL(process.env.S3CONF_ENDPOINT || 'http://127.0.0.1:9000')
const MiB = 1024 * 1024
const DATA = process.env.S3CONF_DATA || '/tmp/glusters3-conformance-data'
const SIZES = { '0B': 0, '1B': 1, '5MiB-1': 5 * MiB - 1, '5MiB': 5 * MiB, '8MiB+1': 8 * MiB + 1, '64MiB': 64 * MiB }
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

const client = new Minio.Client({
  endPoint: endpoint.hostname,
  port: Number(endpoint.port),
  useSSL: false,
  accessKey: process.env.S3CONF_ACCESS_KEY || 'glusters3dev',
  secretKey: process.env.S3CONF_SECRET_KEY || 'glusters3dev-secret',
  partSize: 5 * MiB,
})

const sha = (buf) => crypto.createHash('sha256').update(buf).digest('hex')
const md5 = (buf) => crypto.createHash('md5').update(buf).digest('hex')
const tmp = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'minio-js-'))
after(() => fs.rmSync(tmp, { recursive: true, force: true }))

function dataFile(size) {
  const p = path.join(DATA, `blob-${size}`)
  if (!fs.existsSync(p) || fs.statSync(p).size !== SIZES[size]) {
    fs.mkdirSync(DATA, { recursive: true })
    fs.writeFileSync(p, crypto.randomBytes(SIZES[size]))
  }
  return p
}

async function readAll(stream) {
  const chunks = []
  for await (const c of stream) chunks.push(c)
  return Buffer.concat(chunks)
}

async function listAll(stream) {
  const out = []
  for await (const o of stream) out.push(o)
  return out
}

function bucketName() {
  return 'cf-miniojs-' + crypto.randomBytes(5).toString('hex')
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
  const p = client.makeBucket(name).then(() => name)
  p.catch(() => {}) // surfaced by the case that takes it
  ready.push(p)
}
async function takeBucket() {
  if (!ready.length) prefetch()
  const p = ready.shift()
  prefetch()
  return p
}
async function releaseBucket(bucket, caseName) {
  const objs = await listAll(client.listObjectsV2(bucket, '', true))
  if (objs.length) await client.removeObjects(bucket, objs.map((o) => o.name))
  removals.push(client.removeBucket(bucket).then(() => null, (e) => `removeBucket ${bucket} (bucket of ${caseName}): ${e.message}`))
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

test('make_bucket_exists_remove', {}, async () => {
  const bucket = bucketName()
  assert.equal(await client.bucketExists(bucket), false)
  await client.makeBucket(bucket)
  try {
    assert.equal(await client.bucketExists(bucket), true)
    assert.ok((await client.listBuckets()).some((b) => b.name === bucket))
    // us-east-1: re-creating one's own bucket is 200 and changes nothing (AWS's legacy behaviour).
    await client.makeBucket(bucket)
    assert.equal(await client.bucketExists(bucket), true)
  } finally {
    await client.removeBucket(bucket)
  }
  assert.equal(await client.bucketExists(bucket), false)
})

for (const size of Object.keys(SIZES)) {
  btest(`fput_fget[${size}]`, async (bucket) => {
    const src = dataFile(size)
    const key = `f/${size}.json`
    const up = await client.fPutObject(bucket, key, src)
    const st = await client.statObject(bucket, key)
    assert.equal(st.size, SIZES[size])
    assert.equal(st.etag, up.etag)
    // fPutObject sends the type of the local file: octet-stream for "blob-<size>".
    assert.equal(st.metaData['content-type'], expectedType(key, 'application/octet-stream'))
    const dst = path.join(tmp, `down-${size}`)
    await client.fGetObject(bucket, key, dst)
    assert.equal(fs.statSync(dst).size, SIZES[size])
    assert.equal(sha(fs.readFileSync(dst)), sha(fs.readFileSync(src)))
    fs.rmSync(dst)
  })
}

for (const size of [1, 100, 12 * MiB + 5]) {
  btest(`put_object_unknown_length[${size}]`, async (bucket) => {
    const data = crypto.randomBytes(size)
    const key = `stream/${size}`
    // A stream and no size: minio-js uploads it as a multipart upload of partSize parts.
    const stream = Readable.from((function* () { for (let i = 0; i < size; i += 65536) yield data.subarray(i, i + 65536) })())
    await client.putObject(bucket, key, stream)
    const got = await readAll(await client.getObject(bucket, key))
    assert.equal(got.length, size)
    assert.equal(sha(got), sha(data))
  })
}

for (const [name, key] of Object.entries(HOSTILE_KEYS)) {
  btest(`hostile_key[${name}]`, async (bucket) => {
    const body = Buffer.concat([Buffer.from(`body of ${JSON.stringify(key)}\n`), crypto.randomBytes(37)])
    await client.putObject(bucket, key, body)
    const st = await client.statObject(bucket, key)
    assert.equal(st.size, body.length)
    assert.equal(st.etag, md5(body))
    assert.equal(st.metaData['content-type'], expectedType(key, undefined))
    const got = await readAll(await client.getObject(bucket, key))
    assert.ok(got.equals(body), `bytes of ${key}`)
    const listed = (await listAll(client.listObjectsV2(bucket, '', true))).map((o) => o.name)
    assert.deepEqual(listed, [key])
    await client.removeObject(bucket, key)
    assert.deepEqual(await listAll(client.listObjects(bucket, '', true)), [])
  })
}

btest('key_and_prefix_coexist', async (bucket) => {
  await client.putObject(bucket, 'a', 'the key a')
  await client.putObject(bucket, 'a/b', 'the key a/b')
  const top = (await listAll(client.listObjects(bucket, '', false))).map((o) => o.name || o.prefix)
  assert.deepEqual(top.sort(), ['a', 'a/'])
  assert.equal((await readAll(await client.getObject(bucket, 'a'))).toString(), 'the key a')
  assert.equal((await readAll(await client.getObject(bucket, 'a/b'))).toString(), 'the key a/b')
})

btest('list_objects_recursive_and_not', async (bucket) => {
  const keys = ['a b', 'a+b', 'dir/1', 'dir/2', 'dir/sub/3', '日本語/ファイル', 'z']
  for (const k of keys) await client.putObject(bucket, k, 'abc')
  const byteOrder = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
  assert.deepEqual((await listAll(client.listObjects(bucket, '', true))).map((o) => o.name), byteOrder)
  assert.deepEqual((await listAll(client.listObjectsV2(bucket, '', true))).map((o) => o.name), byteOrder)
  const top = (await listAll(client.listObjects(bucket, '', false))).map((o) => o.name || o.prefix)
  assert.deepEqual(top.sort(), ['a b', 'a+b', 'dir/', 'z', '日本語/'].sort())
  const dir = (await listAll(client.listObjectsV2(bucket, 'dir/', false))).map((o) => o.name || o.prefix)
  assert.deepEqual(dir.sort(), ['dir/1', 'dir/2', 'dir/sub/'])
  const after = (await listAll(client.listObjectsV2(bucket, 'dir/', true, 'dir/1'))).map((o) => o.name)
  assert.deepEqual(after, ['dir/2', 'dir/sub/3'])
  const z = (await listAll(client.listObjects(bucket, 'z', true)))[0]
  assert.equal(z.size, 3)
  assert.equal(z.etag, md5(Buffer.from('abc')))
})

btest('list_many', async (bucket) => {
  const keys = Array.from({ length: 1100 }, (_, i) => `k/${String(i).padStart(4, '0')}`)
  for (let i = 0; i < keys.length; i += 20) {
    await Promise.all(keys.slice(i, i + 20).map((k) => client.putObject(bucket, k, '')))
  }
  assert.deepEqual((await listAll(client.listObjects(bucket, '', true))).map((o) => o.name), keys)
  assert.deepEqual((await listAll(client.listObjectsV2(bucket, 'k/', true))).map((o) => o.name), keys)
})

btest('stat_object', async (bucket) => {
  await client.putObject(bucket, 'm/doc.txt', 'hello', 5, { 'Content-Type': 'application/x-doc', 'X-Amz-Meta-Color': 'blue', project: 'conformance' })
  const st = await client.statObject(bucket, 'm/doc.txt')
  assert.equal(st.size, 5)
  assert.equal(st.etag, md5(Buffer.from('hello')))
  assert.equal(st.metaData['content-type'], 'application/x-doc')
  assert.equal(st.metaData.color, 'blue')
  assert.equal(st.metaData.project, 'conformance')
  assert.ok(st.lastModified instanceof Date)
  await assert.rejects(client.statObject(bucket, 'missing'), (e) => e.code === 'NotFound' || e.code === 'NoSuchKey')
  await assert.rejects(client.getObject(bucket, 'missing'), (e) => e.code === 'NoSuchKey')
})

btest('get_partial_object', async (bucket) => {
  const data = crypto.randomBytes(5000)
  await client.putObject(bucket, 'p', data)
  for (const [off, len] of [[0, 10], [4990, 10], [100, 0], [2500, 1]]) {
    const got = await readAll(await client.getPartialObject(bucket, 'p', off, len))
    assert.ok(got.equals(len ? data.subarray(off, off + len) : data.subarray(off)), `range ${off}/${len}`)
  }
})

btest('copy_object', async (bucket) => {
  const data = crypto.randomBytes(3000)
  await client.putObject(bucket, 'src/a b+c.txt', data, data.length, { k: 'v' })
  const src = new Minio.CopySourceOptions({ Bucket: bucket, Object: 'src/a b+c.txt' })
  await client.copyObject(src, new Minio.CopyDestinationOptions({ Bucket: bucket, Object: 'dst/copy' }))
  const st = await client.statObject(bucket, 'dst/copy')
  assert.equal(st.size, 3000)
  assert.equal(st.metaData.k, 'v')
  assert.ok((await readAll(await client.getObject(bucket, 'dst/copy'))).equals(data))
  // The legacy signature: (bucket, object, '/bucket/source', conditions).
  await client.copyObject(bucket, 'dst/legacy', `/${bucket}/src/a b+c.txt`, new Minio.CopyConditions())
  assert.ok((await readAll(await client.getObject(bucket, 'dst/legacy'))).equals(data))
})

btest('compose_object', async (bucket) => {
  const a = crypto.randomBytes(5 * MiB)
  const b = crypto.randomBytes(1000)
  await client.putObject(bucket, 'part-a', a)
  await client.putObject(bucket, 'part-b', b)
  await client.composeObject(new Minio.CopyDestinationOptions({ Bucket: bucket, Object: 'composed' }), [
    new Minio.CopySourceOptions({ Bucket: bucket, Object: 'part-a' }),
    new Minio.CopySourceOptions({ Bucket: bucket, Object: 'part-b' }),
  ])
  assert.equal(sha(await readAll(await client.getObject(bucket, 'composed'))), sha(Buffer.concat([a, b])))
})

btest('remove_objects', async (bucket) => {
  const keys = [...Object.values(HOSTILE_KEYS), ...Array.from({ length: 30 }, (_, i) => `r/${i}`)]
  for (const k of keys) await client.putObject(bucket, k, 'x')
  const res = await client.removeObjects(bucket, [...keys.slice(0, -5), 'missing'])
  assert.deepEqual(res.flat().filter((r) => r && r.Code), [])
  const left = (await listAll(client.listObjectsV2(bucket, '', true))).map((o) => o.name)
  assert.deepEqual(left.sort(), keys.slice(-5).sort())
})

btest('presigned_get_put', async (bucket) => {
  for (const key of ['pre/plain.txt', 'pre/a b+c%&.json', '日本語/ファイル']) {
    const body = Buffer.concat([Buffer.from(key), crypto.randomBytes(20)])
    const putUrl = await client.presignedPutObject(bucket, key, 300)
    const put = await fetch(putUrl, { method: 'PUT', body })
    assert.equal(put.status, 200, await put.text())
    const getUrl = await client.presignedGetObject(bucket, key, 300)
    const got = await fetch(getUrl)
    assert.equal(got.status, 200)
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(body), `bytes of ${key}`)
    // fetch sends no Content-Type for a Buffer body.
    assert.equal(got.headers.get('content-type'), expectedType(key, undefined))
  }
  const url = await client.presignedGetObject(bucket, 'pre/plain.txt', 60, { 'response-content-type': 'text/csv' })
  assert.equal((await fetch(url)).headers.get('content-type'), 'text/csv')
})

btest('errors', async (bucket) => {
  await assert.rejects(listAll(client.listObjects(bucket + '-nope', '', true)), (e) => e.code === 'NoSuchBucket')
  const bad = new Minio.Client({ endPoint: endpoint.hostname, port: Number(endpoint.port), useSSL: false, accessKey: process.env.S3CONF_ACCESS_KEY || 'x', secretKey: 'wrong', region: 'us-east-1' })
  await assert.rejects(listAll(bad.listObjects(bucket, '', true)), (e) => e.code === 'SignatureDoesNotMatch')
})

describe('minio-js', { concurrency: Number(process.env.CONFORMANCE_JOBS || 3) }, () => {
  for (const [name, opts, fn] of cases) nodeTest(name, opts, fn)
})

nodeTest('buckets_removed', async () => {
  for (const p of ready.splice(0)) {
    const name = await p.catch(() => null)
    if (name) removals.push(client.removeBucket(name).then(() => null, (e) => `removeBucket ${name} (unused): ${e.message}`))
  }
  const failed = (await Promise.all(removals)).filter(Boolean)
  assert.deepEqual(failed, [])
})
