// Bucket CORS from a real browser: Debian's /usr/bin/chromium driven by playwright-core (as in
// console.test.mjs) loads a blank page from a node http server of its own on 127.0.0.1 (another
// port, hence another origin than the gateway's) and talks to the gateway with fetch(), the way a
// web app uploading straight to S3 does. The bucket's rules are set with the AWS SDK for
// JavaScript v3 (PutBucketCorsCommand); the URLs are presigned with getSignedUrl in node; the POST
// form's SigV4 policy is signed in node. Run by run.sh with `node --test`; S3CONF_ENDPOINT and the
// keys name the gateway.
//
// (1) PutBucketCors / GetBucketCors round trip (the page's origin; GET PUT POST HEAD; header *;
//     ETag exposed; MaxAgeSeconds 60);
// (a) a presigned PUT from the page: 200, the exposed ETag readable by the script;
// (b) a POST form upload (FormData, SigV4 policy) from the page: 201 readable by the script;
// (c) presigned GETs of both objects from the page: the script reads both bodies; an error answer
//     (404 NoSuchKey) carries the CORS headers too: its status is readable;
// (d) a presigned GET of a bucket without CORS rules: the browser's fetch rejects (TypeError);
// (e1) a raw preflight from node of a presigned URL, query included as the browser sends it: 200
//     for the page's origin, 403 for another;
// (e2) raw preflights from node: the page's origin 200 with its headers; another origin, a
//     method no rule allows, a bucket without rules 403; DeleteBucketCors, then GetBucketCors answers
//     NoSuchCORSConfiguration and the preflight 403.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import http from 'node:http'
import { chromium } from 'playwright-core'
import {
  S3Client,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketCorsCommand,
  DeleteObjectCommand,
  GetBucketCorsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'

const ENDPOINT = process.env.S3CONF_ENDPOINT || 'http://127.0.0.1:9000'
const AK = process.env.S3CONF_ACCESS_KEY || 'glusters3dev'
const SK = process.env.S3CONF_SECRET_KEY || 'glusters3dev-secret'
const REGION = 'us-east-1'
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium'

const client = new S3Client({
  endpoint: ENDPOINT,
  region: REGION,
  forcePathStyle: true,
  credentials: { accessKeyId: AK, secretAccessKey: SK },
  maxAttempts: 2,
})

const suffix = crypto.randomBytes(5).toString('hex')
const BUCKET = `cf-cors-${suffix}` // with the page's CORS rule
const PLAIN = `cf-cors-none-${suffix}` // without any CORS rule
const PUT_KEY = 'browser/put.txt'
const PUT_BODY = 'from the browser'
const FORM_KEY = 'browser/form.txt'
const FORM_BODY = 'from a browser form'
const EVIL = 'http://evil.example'

const md5 = (s) => crypto.createHash('md5').update(s).digest('hex')
const presign = (Command, input, expiresIn = 300) => getSignedUrl(client, new Command(input), { expiresIn })
const objectUrl = (bucket, key) => `${ENDPOINT}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`

let server
let pageOrigin
let browser
let page
const made = [] // buckets created here, removed in after()

function note (msg) {
  console.log('# cors: ' + msg)
}

/** The CORS rule of the suite, as PutBucketCors takes it. */
function rules () {
  return {
    CORSRules: [{
      AllowedOrigins: [pageOrigin],
      AllowedMethods: ['GET', 'PUT', 'POST', 'HEAD'],
      AllowedHeaders: ['*'],
      ExposeHeaders: ['ETag'],
      MaxAgeSeconds: 60,
    }],
  }
}

/**
 * The fields of a SigV4 browser form upload (AWS: "Browser-Based Uploads Using POST"), the file
 * excepted: every field but x-amz-signature and policy is covered by a condition of the policy.
 */
function postForm (bucket, key, successStatus) {
  const now = new Date()
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '') // YYYYMMDDTHHMMSSZ
  const day = amzDate.slice(0, 8)
  const credential = `${AK}/${day}/${REGION}/s3/aws4_request`
  const document = {
    expiration: new Date(now.getTime() + 10 * 60_000).toISOString(),
    conditions: [
      { bucket },
      ['starts-with', '$key', 'browser/'],
      { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
      { 'x-amz-credential': credential },
      { 'x-amz-date': amzDate },
      { success_action_status: successStatus },
    ],
  }
  const policy = Buffer.from(JSON.stringify(document)).toString('base64')
  const hmac = (k, s) => crypto.createHmac('sha256', k).update(s).digest()
  let signingKey = 'AWS4' + SK
  for (const part of [day, REGION, 's3', 'aws4_request']) signingKey = hmac(signingKey, part)
  const signature = crypto.createHmac('sha256', signingKey).update(policy).digest('hex')
  return [
    ['key', key],
    ['policy', policy],
    ['x-amz-algorithm', 'AWS4-HMAC-SHA256'],
    ['x-amz-credential', credential],
    ['x-amz-date', amzDate],
    ['x-amz-signature', signature],
    ['success_action_status', successStatus],
  ]
}

/** A preflight from node: OPTIONS with Origin and Access-Control-Request-*. */
function preflight (url, origin, method, headers) {
  const h = { Origin: origin, 'Access-Control-Request-Method': method }
  if (headers) h['Access-Control-Request-Headers'] = headers
  return fetch(url, { method: 'OPTIONS', headers: h })
}

/** For a refused browser request: what the gateway answers node's replay of its preflight. */
async function replayPreflight (url, method) {
  const r = await preflight(url, pageOrigin, method)
  const code = (await r.text()).match(/<Code>([^<]*)<\/Code>/)?.[1] || ''
  return `the gateway answers the preflight (OPTIONS ${method} from ${pageOrigin}, the presigned URL's ` +
    `query included) ${r.status} ${code}, access-control-allow-origin ${r.headers.get('access-control-allow-origin')}`
}

before(async () => {
  // The page's origin: a blank page on another port of 127.0.0.1.
  server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    res.end('<!doctype html><html><head><meta charset="utf-8"><title>cors</title></head><body></body></html>')
  })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  pageOrigin = `http://127.0.0.1:${server.address().port}`
  assert.notEqual(pageOrigin, new URL(ENDPOINT).origin, 'the page and the gateway are two origins')

  for (const Bucket of [BUCKET, PLAIN]) {
    await client.send(new CreateBucketCommand({ Bucket }))
    made.push(Bucket)
  }

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  })
  page = await browser.newPage()
  page.on('pageerror', (e) => note(`page error: ${e}`))
  const resp = await page.goto(pageOrigin + '/', { waitUntil: 'domcontentloaded' })
  assert.equal(resp.status(), 200)
  assert.equal(await page.evaluate(() => location.origin), pageOrigin)
})

after(async () => {
  if (browser) await browser.close().catch((e) => note(`browser close: ${e.message}`))
  if (server) await new Promise((resolve) => server.close(resolve))
  for (const Bucket of made) {
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket }))
      for (const o of listed.Contents || []) await client.send(new DeleteObjectCommand({ Bucket, Key: o.Key }))
      await client.send(new DeleteBucketCommand({ Bucket }))
    } catch (e) {
      note(`cleanup of ${Bucket}: ${e.name}: ${e.message}`)
    }
  }
})

test('(1) PutBucketCors and GetBucketCors round-trip the rule', async () => {
  await client.send(new PutBucketCorsCommand({ Bucket: BUCKET, CORSConfiguration: rules() }))
  const got = await client.send(new GetBucketCorsCommand({ Bucket: BUCKET }))
  assert.equal(got.CORSRules.length, 1)
  const [r] = got.CORSRules
  assert.deepEqual(r.AllowedOrigins, [pageOrigin])
  assert.deepEqual(r.AllowedMethods, ['GET', 'PUT', 'POST', 'HEAD'])
  assert.deepEqual(r.AllowedHeaders, ['*'])
  assert.deepEqual(r.ExposeHeaders, ['ETag'])
  assert.equal(r.MaxAgeSeconds, 60)
})

test('(a) a presigned PUT from the page: 200 and the exposed ETag', async () => {
  const url = await presign(PutObjectCommand, { Bucket: BUCKET, Key: PUT_KEY, ContentType: 'text/plain' })
  const r = await page.evaluate(async ({ url, body }) => {
    try {
      const res = await fetch(url, { method: 'PUT', body, headers: { 'Content-Type': 'text/plain' } })
      return { status: res.status, etag: res.headers.get('etag'), text: await res.text() }
    } catch (e) {
      return { error: `${e.name}: ${e.message}` }
    }
  }, { url, body: PUT_BODY })
  if (r.error) assert.fail(`the browser refused the PUT (${r.error}); ${await replayPreflight(url, 'PUT')}`)
  assert.equal(r.status, 200, r.text)
  assert.equal(r.etag, `"${md5(PUT_BODY)}"`, 'ETag is exposed to the script')
  const stored = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: PUT_KEY }))
  assert.equal(await stored.Body.transformToString(), PUT_BODY)
  assert.equal(stored.ContentType, 'text/plain')
})

test('(b) a POST form upload from the page: 201 readable by the script', async () => {
  const fields = postForm(BUCKET, FORM_KEY, '201')
  const r = await page.evaluate(async ({ url, fields, content }) => {
    const form = new FormData()
    for (const [name, value] of fields) form.append(name, value)
    form.append('file', new Blob([content], { type: 'text/plain' }), 'form.txt') // the file goes last
    try {
      const res = await fetch(url, { method: 'POST', body: form })
      return { status: res.status, etag: res.headers.get('etag'), text: await res.text() }
    } catch (e) {
      return { error: `${e.name}: ${e.message}` }
    }
  }, { url: `${ENDPOINT}/${BUCKET}`, fields, content: FORM_BODY })
  assert.equal(r.error, undefined, 'the browser refused the POST answer (CORS headers)')
  assert.equal(r.status, 201, r.text)
  assert.match(r.text, /<PostResponse[\s>]/)
  assert.match(r.text, new RegExp(`<Key>${FORM_KEY}</Key>`))
  assert.equal(r.etag, `"${md5(FORM_BODY)}"`, 'ETag is exposed to the script')
})

test('(c) presigned GETs from the page read both bodies; a 404 is readable too', async () => {
  const urls = [
    await presign(GetObjectCommand, { Bucket: BUCKET, Key: PUT_KEY }),
    await presign(GetObjectCommand, { Bucket: BUCKET, Key: FORM_KEY }),
    await presign(GetObjectCommand, { Bucket: BUCKET, Key: 'browser/missing.txt' }),
  ]
  const got = await page.evaluate(async (urls) => Promise.all(urls.map(async (url) => {
    try {
      const res = await fetch(url)
      return { status: res.status, etag: res.headers.get('etag'), text: await res.text() }
    } catch (e) {
      return { error: `${e.name}: ${e.message}` }
    }
  })), urls)
  assert.deepEqual(got[1], { status: 200, etag: `"${md5(FORM_BODY)}"`, text: FORM_BODY })
  // An error answer carries the CORS headers of the matching rule: the script sees the 404.
  assert.equal(got[2].error, undefined, 'the browser hid the 404 (no CORS headers on the error)')
  assert.equal(got[2].status, 404)
  assert.match(got[2].text, /<Code>NoSuchKey<\/Code>/)
  // Last: this one is the object of (a), missing when (a) failed.
  assert.deepEqual(got[0], { status: 200, etag: `"${md5(PUT_BODY)}"`, text: PUT_BODY }, `the object of (a), ${PUT_KEY}`)
})

test('(d) a bucket without CORS rules: the browser fetch rejects', async () => {
  const Key = 'browser/plain.txt'
  await client.send(new PutObjectCommand({ Bucket: PLAIN, Key, Body: 'no cors here', ContentType: 'text/plain' }))
  const url = await presign(GetObjectCommand, { Bucket: PLAIN, Key })
  // From node the URL works, without any CORS header: the rejection below is the browser's.
  const direct = await fetch(url, { headers: { Origin: pageOrigin } })
  assert.equal(direct.status, 200)
  assert.equal(await direct.text(), 'no cors here')
  assert.equal(direct.headers.get('access-control-allow-origin'), null)
  const r = await page.evaluate(async (url) => {
    try {
      const res = await fetch(url)
      return { status: res.status }
    } catch (e) {
      return { error: { name: e.name, message: e.message } }
    }
  }, url)
  assert.ok(r.error, `the fetch resolved (status ${r.status}) instead of rejecting`)
  assert.equal(r.error.name, 'TypeError')
  assert.match(r.error.message, /failed to fetch/i)
})

test('(e1) a preflight of a presigned URL from node, query included: 200', async () => {
  // What a browser sends before a presigned PUT: the URL with its X-Amz-* query, unsigned (a
  // preflight is never authenticated, whatever its query).
  const presigned = await presign(PutObjectCommand, { Bucket: BUCKET, Key: PUT_KEY, ContentType: 'text/plain' })
  const q = await preflight(presigned, pageOrigin, 'PUT')
  assert.equal(q.status, 200, `preflight of the presigned URL: ${await q.text()}`)
  assert.equal(q.headers.get('access-control-allow-origin'), pageOrigin)
  const evil = await preflight(presigned, EVIL, 'PUT')
  assert.equal(evil.status, 403)
})

test('(e2) preflights from node; DeleteBucketCors', async () => {
  const url = objectUrl(BUCKET, PUT_KEY)
  const ok = await preflight(url, pageOrigin, 'PUT', 'content-type')
  assert.equal(ok.status, 200, await ok.text())
  assert.equal(ok.headers.get('access-control-allow-origin'), pageOrigin)
  const methods = (ok.headers.get('access-control-allow-methods') || '').split(',').map((m) => m.trim())
  assert.ok(methods.includes('PUT'), `access-control-allow-methods: ${methods}`)
  assert.match(ok.headers.get('access-control-allow-headers') || '', /content-type/i)
  assert.match(ok.headers.get('access-control-expose-headers') || '', /\bETag\b/i)
  assert.equal(ok.headers.get('access-control-max-age'), '60')

  const evil = await preflight(url, EVIL, 'PUT', 'content-type')
  assert.equal(evil.status, 403)
  assert.equal(evil.headers.get('access-control-allow-origin'), null)
  const del = await preflight(url, pageOrigin, 'DELETE')
  assert.equal(del.status, 403, 'DELETE is not an allowed method')
  const plain = await preflight(objectUrl(PLAIN, 'browser/plain.txt'), pageOrigin, 'GET')
  assert.equal(plain.status, 403, 'a bucket without CORS rules')

  await client.send(new DeleteBucketCorsCommand({ Bucket: BUCKET }))
  await assert.rejects(client.send(new GetBucketCorsCommand({ Bucket: BUCKET })), (e) => {
    assert.equal(e.name, 'NoSuchCORSConfiguration', `${e.name}: ${e.message}`)
    return true
  })
  const gone = await preflight(url, pageOrigin, 'PUT', 'content-type')
  assert.equal(gone.status, 403, 'no CORS configuration any more')
  assert.equal(gone.headers.get('access-control-allow-origin'), null)
})
