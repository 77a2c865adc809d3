// The web console (`/console/` on the admin listener) in headless Chromium: Debian's
// /usr/bin/chromium driven by playwright-core (pinned in package-lock.json), against the
// conformance gateway (admin token and a 1 s cluster refresh from run.sh's config) on the real
// local volume. Run by run.sh with `node --test`; S3CONF_ADMIN and S3CONF_ADMIN_TOKEN name the
// admin listener, S3CONF_ENDPOINT and the keys the S3 side.
//
// (a) the page loads, a wrong token is refused, the right one shows s3vol's bricks online;
// (b) with glustereventsd posting to the gateway (scripts/events-up.sh), a brick SIGKILLed on a
//     scratch replica-3 volume turns red and its BRICK_DISCONNECTED is in the feed within 5 s;
// (c) the buckets card shows a bucket made here with its object count (skipped, with a note,
//     while /admin/v1/buckets answers 404);
// (e) the feed, dropped, resumes with last_event_id: what happened meanwhile arrives, once;
// (d) no console error, page error or failed request on the way (checked last).
// Screenshots: .results/console-*.png always, and CONSOLE_SCREENSHOTS_DIR/console-*.png when set.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { chromium } from 'playwright-core'
import { S3Client, CreateBucketCommand, PutObjectCommand, DeleteObjectCommand, DeleteBucketCommand } from '@aws-sdk/client-s3'

const run = promisify(execFile)
const HERE = path.dirname(new URL(import.meta.url).pathname)
const ROOT = path.dirname(HERE)
const ADMIN = process.env.S3CONF_ADMIN || 'http://127.0.0.1:9001'
const TOKEN = process.env.S3CONF_ADMIN_TOKEN || process.env.GLUSTERS3_ADMIN_TOKEN || ''
const ENDPOINT = process.env.S3CONF_ENDPOINT || 'http://127.0.0.1:9000'
const AK = process.env.S3CONF_ACCESS_KEY || 'glusters3dev'
const SK = process.env.S3CONF_SECRET_KEY || 'glusters3dev-secret'
const VOLUME = process.env.GLUSTER_VOLUME || 's3vol'
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium'
// A relative CONSOLE_SCREENSHOTS_DIR is taken from the repository root (`docs` is docs/).
const SHOTS = [path.join(HERE, '.results'), process.env.CONSOLE_SCREENSHOTS_DIR]
  .filter(Boolean).map((d) => path.resolve(ROOT, d))

let browser
let page
// What the page reported: console errors, uncaught exceptions, failed or refused requests.
const problems = []
let bucketsAbsent = false
let webhookUrl = null

function note (msg) {
  console.log('# console: ' + msg)
}

async function gluster (...args) {
  const { stdout } = await run('gluster', ['--mode=script', ...args], { timeout: 120_000 })
  return stdout
}

async function screenshot (name) {
  for (const dir of SHOTS) {
    fs.mkdirSync(dir, { recursive: true })
    await page.screenshot({ path: path.join(dir, `console-${name}.png`), fullPage: true })
  }
}

/** Brick names (`host:path`) of `volume`, from `gluster volume info --xml`. */
async function bricksOf (volume) {
  const xml = await gluster('volume', 'info', volume, '--xml')
  const names = [...xml.matchAll(/<brick [^>]*>[\s\S]*?<name>([^<]+)<\/name>/g)].map((m) => m[1])
  assert.ok(names.length > 0, `no brick in gluster volume info ${volume} --xml:\n${xml}`)
  return names
}

/** Brick pid of `brickPath` in `volume`, from `gluster volume status --xml`. */
async function brickPid (volume, brickPath) {
  const xml = await gluster('volume', 'status', volume, '--xml')
  for (const node of xml.matchAll(/<node>([\s\S]*?)<\/node>/g)) {
    const p = node[1].match(/<path>([^<]*)<\/path>/)
    const pid = node[1].match(/<pid>(\d+)<\/pid>/)
    const up = node[1].match(/<status>(\d)<\/status>/)
    if (p && p[1] === brickPath && pid && up && up[1] === '1') return Number(pid[1])
  }
  return null
}

/** Waits until every brick in `names` has a row with the wanted online state. */
async function waitBricks (names, online, timeout) {
  await page.waitForFunction(({ names, online }) => {
    const rows = [...document.querySelectorAll('tr[data-brick]')]
    return names.every((n) => rows.some((r) => r.getAttribute('data-brick') === n &&
      r.getAttribute('data-online') === String(online) && r.classList.contains('brick-offline') === !online))
  }, { names, online }, { timeout, polling: 100 })
}

async function login (token) {
  await page.fill('#token', token)
  await page.click('#login-button')
}

before(async () => {
  assert.ok(TOKEN, 'S3CONF_ADMIN_TOKEN (the gateway admin token) is not set')
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  })
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push({ kind: 'console', text: m.text(), url: m.location().url || '' })
  })
  page.on('pageerror', (e) => problems.push({ kind: 'pageerror', text: String(e), url: '' }))
  page.on('requestfailed', (r) => problems.push({ kind: 'requestfailed', text: r.failure()?.errorText || '', url: r.url() }))
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push({ kind: 'http', text: String(r.status()), url: r.url() })
  })
})

after(async () => {
  if (browser) await browser.close()
  if (webhookUrl) {
    // The run's admin port is random: do not leave its webhook behind in eventsd's list.
    await run('gluster-eventsapi', ['webhook-del', webhookUrl], { timeout: 60_000 }).catch((e) => note(`webhook-del ${webhookUrl}: ${e.message}`))
  }
})

test('(a) the page loads, a wrong token is refused, the right one shows the volume bricks online', async () => {
  const resp = await page.goto(ADMIN + '/', { waitUntil: 'domcontentloaded' })
  assert.equal(new URL(page.url()).pathname, '/console/', 'GET / redirects to /console/')
  assert.equal(resp.status(), 200)
  const headers = resp.headers()
  assert.match(headers['content-type'], /^text\/html/)
  assert.match(headers['content-security-policy'], /default-src 'self'/)
  assert.doesNotMatch(headers['content-security-policy'], /unsafe-inline/)
  assert.equal(headers['x-content-type-options'], 'nosniff')
  assert.equal(headers['cache-control'], 'no-cache')
  await page.waitForSelector('#login-view:not([hidden])')

  await login('not-the-token-' + crypto.randomBytes(4).toString('hex'))
  await page.waitForSelector('#login-error:not([hidden])')
  assert.equal(await page.textContent('#login-error'), 'wrong token')
  assert.ok(await page.isHidden('#app-view'))
  // The refused login is the only thing that may have failed so far: its 401 (and the console
  // line Chromium prints for it).
  const unexpected = problems.filter((p) => !p.url.endsWith('/admin/v1/cluster') || !/401/.test(p.text))
  assert.deepEqual(unexpected, [], 'only the 401 of the wrong token')
  assert.ok(problems.length > 0, 'the wrong token reached the gateway')
  problems.length = 0

  await login(TOKEN)
  await page.waitForSelector('#app-view:not([hidden])')
  const names = await bricksOf(VOLUME)
  assert.equal(names.length, 3, `${VOLUME} is replica 3`)
  await waitBricks(names, true, 30_000)
  // Each brick row carries its pid and port.
  for (const n of names) {
    const cells = await page.$$eval('tr[data-brick]', (rows, n) => {
      const r = rows.find((x) => x.getAttribute('data-brick') === n)
      return r ? [...r.cells].map((c) => c.textContent) : null
    }, n)
    assert.ok(cells, `row of ${n}`)
    assert.match(cells[3], /^\d+$/, `pid of ${n}: ${cells}`)
    assert.match(cells[4], /^\d+$/, `port of ${n}: ${cells}`)
  }
  assert.equal(await page.evaluate(() => sessionStorage.getItem('glusters3.console.token')), TOKEN)
  // The rates chart has its 60 minutes.
  await page.waitForFunction(() => document.querySelectorAll('#requests-chart g[data-minute]').length === 60, null, { timeout: 15_000 })
  // The verdict: healthy unless some other volume on this machine is degraded right now.
  const verdict = await page.waitForFunction(() => {
    const v = document.getElementById('verdict').dataset.verdict
    return v === 'healthy' ? v : null
  }, null, { timeout: 20_000, polling: 200 }).then((h) => h.jsonValue()).catch(() => null)
  if (!verdict) note(`verdict not healthy for the screenshot: ${await page.textContent('#verdict')}`)
  await screenshot('overview')
})

test('(b) a brick killed on a scratch volume turns red and BRICK_DISCONNECTED is in the feed within 5 s', async (t) => {
  if (!fs.existsSync('/usr/sbin/glustereventsd')) {
    t.skip('glustereventsd is not installed')
    return
  }
  const port = new URL(ADMIN).port
  const up = await run('bash', [path.join(ROOT, 'scripts/events-up.sh')], {
    env: { ...process.env, GLUSTERS3_ADMIN_TOKEN: TOKEN, GLUSTERS3_ADMIN_PORT: port },
    timeout: 120_000,
  })
  webhookUrl = `http://127.0.0.1:${port}/admin/v1/events/listen`
  assert.match(up.stdout, /webhook-test: OK/, up.stdout + up.stderr)

  const name = `console${process.pid}`
  const root = `/var/tmp/${name}`
  const host = os.hostname()
  const dirs = [1, 2, 3].map((i) => `${root}/b${i}`)
  try {
    for (const d of dirs) fs.mkdirSync(d, { recursive: true })
    await gluster('volume', 'create', name, 'replica', '3', ...dirs.map((d) => `${host}:${d}`), 'force')
    await gluster('volume', 'start', name)
    const names = await bricksOf(name)
    assert.equal(names.length, 3)
    await waitBricks(names, true, 30_000)

    const victim = names[1]
    const pid = await brickPid(name, victim.slice(victim.indexOf(':') + 1))
    assert.ok(pid, `pid of ${victim}`)
    const t0 = Date.now()
    process.kill(pid, 'SIGKILL')
    await page.waitForFunction(({ victim, name }) => {
      const row = [...document.querySelectorAll('tr[data-brick]')].find((r) => r.getAttribute('data-brick') === victim)
      const ev = [...document.querySelectorAll('#feed tr[data-event-name="BRICK_DISCONNECTED"]')]
        .some((r) => r.cells[2].textContent === name)
      return row && row.classList.contains('brick-offline') && ev
    }, { victim, name }, { timeout: 5_000, polling: 50 })
    note(`brick ${victim} red and BRICK_DISCONNECTED in the feed ${Date.now() - t0} ms after SIGKILL`)
    // The two others are still online, and the verdict is no longer "healthy".
    await waitBricks([names[0], names[2]], true, 1_000)
    assert.notEqual(await page.getAttribute('#verdict', 'data-verdict'), 'healthy')
    await screenshot('brick-down')
  } finally {
    await gluster('volume', 'stop', name, 'force').catch((e) => note(`volume stop: ${e.message}`))
    await gluster('volume', 'delete', name).catch((e) => note(`volume delete: ${e.message}`))
    fs.rmSync(root, { recursive: true, force: true })
  }
})

test('(c) the buckets card shows a bucket made here with its object count', async (t) => {
  const r = await fetch(ADMIN + '/admin/v1/buckets', { headers: { Authorization: 'Bearer ' + TOKEN } })
  if (r.status === 404) {
    bucketsAbsent = true
    // The page must say so rather than break.
    await page.waitForSelector('#buckets-unavailable', { timeout: 10_000 })
    assert.equal(await page.textContent('#buckets-unavailable'), 'bucket statistics unavailable')
    note('/admin/v1/buckets answers 404 (not on this gateway yet): object-count check skipped')
    t.skip('/admin/v1/buckets answers 404')
    return
  }
  assert.equal(r.status, 200)
  const s3 = new S3Client({ endpoint: ENDPOINT, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: AK, secretAccessKey: SK } })
  const bucket = `console-${process.pid}-${crypto.randomBytes(3).toString('hex')}`
  const keys = ['a.txt', 'b/c.txt', 'd é.txt']
  await s3.send(new CreateBucketCommand({ Bucket: bucket }))
  try {
    for (const k of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: 'x'.repeat(1000) }))
    await page.waitForFunction(({ bucket, n }) => [...document.querySelectorAll('tr[data-bucket]')]
      .some((r) => r.getAttribute('data-bucket') === bucket && r.getAttribute('data-objects') === String(n)),
    { bucket, n: keys.length }, { timeout: 20_000, polling: 200 })
  } finally {
    for (const k of keys) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: k })).catch(() => {})
    await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {})
  }
})

test('(e) the feed resumes after a drop with last_event_id: the gap arrives, nothing twice', async () => {
  const s3 = new S3Client({ endpoint: ENDPOINT, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: AK, secretAccessKey: SK } })
  const bucket = `console-feed-${process.pid}-${crypto.randomBytes(3).toString('hex')}`
  const rows = (name) => page.$$eval('#feed tr', (trs, { name, bucket }) => trs.filter((r) =>
    r.getAttribute('data-event-name') === name && r.cells[4].textContent === bucket).length, { name, bucket })
  await page.waitForFunction(() => document.getElementById('feed-state').textContent === 'live', null, { timeout: 10_000 })
  await s3.send(new CreateBucketCommand({ Bucket: bucket }))
  let deleted = false
  try {
    await page.waitForFunction((bucket) => [...document.querySelectorAll('#feed tr[data-event-name="BucketCreated"]')]
      .some((r) => r.cells[4].textContent === bucket), bucket, { timeout: 5_000, polling: 50 })
    // Drop the socket from the page's side and hold the reconnection off for 4 s (its backoff).
    await page.evaluate(() => { state.wsRetry = 2; state.ws.close() })
    await page.waitForFunction(() => document.getElementById('feed-state').textContent === 'reconnecting', null, { timeout: 5_000 })
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }))
    deleted = true
    assert.equal(await page.textContent('#feed-state'), 'reconnecting', 'the delete happened while the feed was down')
    assert.equal(await rows('BucketDeleted'), 0)
    await page.waitForFunction((bucket) => [...document.querySelectorAll('#feed tr[data-event-name="BucketDeleted"]')]
      .some((r) => r.cells[4].textContent === bucket), bucket, { timeout: 15_000, polling: 50 })
    assert.equal(await page.textContent('#feed-state'), 'live')
    assert.equal(await rows('BucketCreated'), 1, 'the resumed feed does not repeat what it had')
    assert.equal(await rows('BucketDeleted'), 1)
  } finally {
    if (!deleted) await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {})
  }
})

test('(d) no console error, page error or failed request', async () => {
  const expected = (p) => bucketsAbsent && p.url.endsWith('/admin/v1/buckets') && /404/.test(p.text)
  assert.deepEqual(problems.filter((p) => !expected(p)), [])
})
