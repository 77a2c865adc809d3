// glusters3 console: one static page over the admin API of the gateway that serves it.
// Vanilla JS, no dependency. Every string from the API goes into the DOM as text (textContent
// or attribute values), never as markup. The token lives in sessionStorage and goes out only as
// `Authorization: Bearer` (and `?token=` on the websocket, which cannot carry headers).
'use strict'

const TOKEN_KEY = 'glusters3.console.token'
const CLUSTER_EVERY = 2000
const BUCKETS_EVERY = 5000
const RATES_EVERY = 10000
const FEED_MAX = 200

const state = {
  token: null,
  timers: [],
  ws: null,
  wsRetry: 0,
  wsTimer: null,
  lastEventId: null,
  peersById: new Map(),
  clusterInFlight: false,
  clusterAgain: false,
  generation: 0,
  bucketCount: '–',
}

// ------------------------------------------------------------------ DOM helpers

const $ = (id) => document.getElementById(id)

/** An element; `attrs` become attributes (strings only), children strings become text nodes. */
function h (tag, attrs, ...children) {
  const el = document.createElement(tag)
  setAttrs(el, attrs)
  append(el, children)
  return el
}

const SVG_NS = 'http://www.w3.org/2000/svg'
function s (tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag)
  setAttrs(el, attrs)
  append(el, children)
  return el
}

function setAttrs (el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue
    if (k === 'style' || k.startsWith('on')) throw new Error('no inline style or handlers: ' + k)
    el.setAttribute(k, v === true ? '' : String(v))
  }
}

function append (el, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue
    el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
}

// ------------------------------------------------------------------ formatting

function bytes (n) {
  if (n === null || n === undefined) return '–'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let v = Number(n)
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return (i === 0 ? String(v) : v.toFixed(v < 10 ? 2 : 1)) + ' ' + units[i]
}

function count (n) {
  if (n === null || n === undefined) return '–'
  return Number(n).toLocaleString('en-US')
}

function pct (used, total) {
  return total > 0 ? Math.min(100, Math.max(0, (used / total) * 100)) : 0
}

function clock (unixSecs) {
  if (!unixSecs) return '–'
  return new Date(unixSecs * 1000).toLocaleTimeString('en-GB', { hour12: false })
}

function ago (unixSecs) {
  if (!unixSecs) return 'never'
  const d = Math.max(0, Math.round(Date.now() / 1000 - unixSecs))
  return d < 2 ? 'just now' : d < 120 ? d + ' s ago' : Math.round(d / 60) + ' min ago'
}

function pill (text, kind) {
  return h('span', { class: 'pill pill-' + kind }, text)
}

/** A capacity bar: used of total, with the text under it. */
function meter (used, total, text) {
  const fill = h('div', { class: 'meter-fill' })
  const p = pct(used, total)
  fill.style.width = p.toFixed(1) + '%' // CSSOM, allowed by the CSP (no style attribute)
  if (p >= 95) fill.classList.add('full')
  else if (p >= 80) fill.classList.add('high')
  return h('div', { class: 'meter', title: p.toFixed(1) + '% used' },
    h('div', { class: 'meter-track' }, fill),
    h('div', { class: 'meter-text' }, text))
}

function capacityMeter (c) {
  if (!c || c.size_total === null || c.size_total === undefined) return h('span', { class: 'muted' }, 'unknown')
  const used = c.size_total - c.size_free
  return meter(used, c.size_total, bytes(used) + ' of ' + bytes(c.size_total))
}

function inodeMeter (c) {
  if (!c || !c.inodes_total) return h('span', { class: 'muted' }, 'unknown')
  const used = c.inodes_total - c.inodes_free
  return meter(used, c.inodes_total, count(used) + ' of ' + count(c.inodes_total) + ' inodes')
}

// ------------------------------------------------------------------ API

class Unauthorized extends Error {}
class NotFound extends Error {}

async function api (path) {
  const r = await fetch(path, {
    headers: { Authorization: 'Bearer ' + state.token, Accept: 'application/json' },
    cache: 'no-store',
    credentials: 'omit',
  })
  if (r.ok) return r.json()
  // Read the body of a refusal too, so that the request ends cleanly rather than aborted.
  const text = await r.text().catch(() => '')
  if (r.status === 401) throw new Unauthorized('401')
  if (r.status === 404) throw new NotFound('404')
  let msg = r.status + ' ' + r.statusText
  try { const j = JSON.parse(text); if (j && j.message) msg += ': ' + j.message } catch (_) {}
  throw new Error(msg)
}

// ------------------------------------------------------------------ login

function showLogin (message) {
  stopAll()
  state.token = null
  sessionStorage.removeItem(TOKEN_KEY)
  $('app-view').hidden = true
  $('login-view').hidden = false
  const err = $('login-error')
  err.textContent = message || ''
  err.hidden = !message
  $('token').value = ''
  $('token').focus()
}

async function login (token) {
  state.token = token
  const gen = ++state.generation
  try {
    const cluster = await api('/admin/v1/cluster')
    if (gen !== state.generation) return
    sessionStorage.setItem(TOKEN_KEY, token)
    $('login-view').hidden = true
    $('app-view').hidden = false
    $('login-error').hidden = true
    renderCluster(cluster)
    start()
  } catch (e) {
    if (gen !== state.generation) return
    if (e instanceof Unauthorized) showLogin('wrong token')
    else showLogin('the gateway did not answer: ' + e.message)
  }
}

function stopAll () {
  state.generation++
  for (const t of state.timers) clearTimeout(t)
  state.timers = []
  clearTimeout(state.wsTimer)
  if (state.ws) {
    const ws = state.ws
    state.ws = null
    ws.onclose = null
    ws.close()
  }
}

/** Runs `fn` now and then every `ms` after each run ends, until logout. */
function every (ms, fn) {
  const gen = state.generation
  const loop = async () => {
    if (gen !== state.generation) return
    await fn()
    if (gen !== state.generation) return
    state.timers.push(setTimeout(loop, ms))
  }
  loop()
}

function start () {
  every(CLUSTER_EVERY, refreshCluster)
  every(BUCKETS_EVERY, refreshBuckets)
  every(RATES_EVERY, refreshRates)
  connectFeed()
}

/** Calls `fn`; a 401 ends the session with "wrong token". False when it failed. */
async function guarded (fn) {
  try {
    await fn()
    return true
  } catch (e) {
    if (e instanceof Unauthorized) { showLogin('wrong token'); return false }
    throw e
  }
}

// ------------------------------------------------------------------ cluster

async function refreshCluster () {
  // One request at a time; a refresh asked for meanwhile runs right after.
  if (state.clusterInFlight) { state.clusterAgain = true; return }
  state.clusterInFlight = true
  const gen = state.generation
  try {
    do {
      state.clusterAgain = false
      try {
        await guarded(async () => {
          const c = await api('/admin/v1/cluster')
          if (gen === state.generation) renderCluster(c)
        })
      } catch (e) {
        if (gen === state.generation) renderUnreachable(e)
      }
    } while (state.clusterAgain && gen === state.generation)
  } finally {
    state.clusterInFlight = false
  }
}

function renderUnreachable (e) {
  setBanner('unknown', 'Gateway unreachable', 'Last attempt: ' + e.message)
}

function setBanner (kind, title, detail) {
  const b = $('verdict')
  b.className = 'banner banner-' + kind
  b.dataset.verdict = kind
  $('verdict-title').textContent = title
  $('verdict-detail').textContent = detail
}

/** healthy / degraded / down / unknown over the started volumes, with the reasons. */
function verdict (cluster) {
  const vols = cluster.volumes && cluster.volumes.value
  if (!vols) {
    return { kind: 'unknown', title: 'Cluster state unknown', detail: cluster.volumes && cluster.volumes.error ? 'volume info: ' + cluster.volumes.error : 'The collector has not answered yet (is cluster_refresh_secs 0?).' }
  }
  const started = vols.filter((v) => v.started)
  const lost = []
  const degraded = []
  const unknown = []
  for (const v of started) {
    for (const set of v.replica_sets || []) {
      const bricks = v.bricks.filter((b) => set.bricks.includes(b.name))
      if (bricks.some((b) => b.online === null || b.online === undefined)) unknown.push(v.name)
      else if (!set.quorum) lost.push(v.name + ' replica set ' + set.index + ': ' + set.online + ' of ' + set.bricks.length + ' bricks online')
      else if (set.online < set.bricks.length) degraded.push(v.name + ' replica set ' + set.index + ': ' + set.online + ' of ' + set.bricks.length + ' bricks online')
    }
  }
  if (lost.length) return { kind: 'down', title: 'Quorum lost', detail: lost.concat(degraded).join(' · ') }
  if (unknown.length) return { kind: 'unknown', title: 'Brick status unknown', detail: 'No brick status for ' + [...new Set(unknown)].join(', ') }
  if (degraded.length) return { kind: 'degraded', title: 'Degraded: quorum kept', detail: degraded.join(' · ') }
  if (!started.length) return { kind: 'unknown', title: 'No started volume', detail: vols.length + ' volume(s), none started' }
  return { kind: 'healthy', title: 'Healthy', detail: 'Every replica set of ' + started.length + ' started volume(s) has all its bricks online.' }
}

function renderCluster (c) {
  const v = verdict(c)
  setBanner(v.kind, v.title, v.detail)
  const peers = (c.peers && c.peers.value) || []
  state.peersById = new Map(peers.map((p) => [p.uuid, p.hostname]))
  const vols = (c.volumes && c.volumes.value) || []
  const bricks = vols.flatMap((x) => x.bricks)
  const online = bricks.filter((b) => b.online === true).length
  const heal = bricks.reduce((a, b) => a + (b.heal_pending || 0), 0)
  const split = bricks.reduce((a, b) => a + (b.split_brain || 0), 0)
  const connected = peers.filter((p) => p.connected).length
  const tile = (value, label, bad) => h('div', { class: 'tile' + (bad ? ' tile-' + bad : '') },
    h('div', { class: 'tile-value' }, value), h('div', { class: 'tile-label' }, label))
  $('tiles').replaceChildren(
    tile(connected + ' / ' + peers.length, 'peers connected', connected < peers.length ? 'bad' : null),
    tile(vols.filter((x) => x.started).length + ' / ' + vols.length, 'volumes started'),
    tile(online + ' / ' + bricks.length, 'bricks online', online < bricks.length ? 'bad' : null),
    tile(count(heal), 'entries pending heal', heal > 0 ? 'warn' : null),
    tile(count(split), 'in split-brain', split > 0 ? 'bad' : null),
    h('div', { class: 'tile', id: 'tile-buckets' }, h('div', { class: 'tile-value' }, state.bucketCount),
      h('div', { class: 'tile-label' }, 'buckets')),
  )
  renderPeers(c.peers)
  renderVolumes(c.volumes)
  $('updated').textContent = 'cluster collected ' + ago(c.collected_at)
}

function renderPeers (field) {
  const peers = (field && field.value) || []
  const rows = peers.map((p) => h('tr', { 'data-peer': p.hostname },
    h('td', null, p.hostname),
    h('td', { class: 'mono', title: p.uuid }, String(p.uuid).slice(0, 8)),
    h('td', null, p.state || ''),
    h('td', null, p.connected ? pill('connected', 'ok') : pill('disconnected', 'bad'))))
  $('peer-list').replaceChildren(
    field && field.error ? h('div', { class: 'errors' }, 'pool list: ' + field.error) : '',
    peers.length
      ? h('table', null, h('thead', null, h('tr', null, h('th', null, 'host'), h('th', null, 'uuid'), h('th', null, 'state'), h('th', null, 'connection'))), h('tbody', null, rows))
      : h('p', { class: 'muted' }, 'No peer information.'))
}

function renderVolumes (field) {
  const vols = (field && field.value) || []
  const out = []
  if (field && field.error) out.push(h('div', { class: 'errors' }, 'volume info: ' + field.error))
  if (!vols.length) out.push(h('p', { class: 'muted' }, 'No volume information yet.'))
  for (const v of vols) out.push(renderVolume(v))
  $('volume-list').replaceChildren(...out)
}

function renderVolume (v) {
  const status = v.started ? pill(v.status, 'ok') : pill(v.status, 'unknown')
  const sets = (v.replica_sets || []).map((set) => {
    const kind = !set.quorum ? 'bad' : set.online < set.bricks.length ? 'warn' : 'ok'
    return pill('set ' + set.index + ': ' + set.online + '/' + set.bricks.length + (set.quorum ? ' quorum' : ' NO QUORUM'), kind)
  })
  const errs = []
  if (v.started && v.status_error) errs.push('brick status: ' + v.status_error)
  if (v.started && v.heal_error) errs.push('heal info: ' + v.heal_error)
  if (v.quota && v.quota.error) errs.push('quota: ' + v.quota.error)
  const rows = v.bricks.map(renderBrick)
  return h('div', { class: 'volume', 'data-volume': v.name },
    h('div', { class: 'volume-head' },
      h('span', { class: 'volume-name' }, v.name),
      status,
      h('span', { class: 'muted' }, v.type + ', replica ' + v.replica_count + (v.arbiter_count ? ', arbiter ' + v.arbiter_count : '')),
      h('span', { class: 'sets' }, sets)),
    errs.length ? h('div', { class: 'errors' }, errs.join(' · ')) : '',
    h('div', { class: 'volume-meta' },
      h('div', null, h('div', { class: 'small muted' }, 'capacity (smallest brick per replica set)'), capacityMeter(v.capacity)),
      h('div', null, h('div', { class: 'small muted' }, 'inodes'), inodeMeter(v.capacity)),
      v.quota && v.quota.value && v.quota.value.length
        ? h('div', null, h('div', { class: 'small muted' }, 'quota'), v.quota.value.map((q) => meter(q.used || 0, q.hard_limit || 0, q.path + ': ' + bytes(q.used) + ' of ' + bytes(q.hard_limit))))
        : ''),
    h('table', { class: 'bricks' },
      h('thead', null, h('tr', null,
        h('th', null, 'host'), h('th', null, 'path'), h('th', null, 'status'), h('th', { class: 'num' }, 'pid'),
        h('th', { class: 'num' }, 'port'), h('th', { class: 'num' }, 'heal pending'), h('th', { class: 'num' }, 'split-brain'),
        h('th', null, 'capacity'), h('th', null, 'inodes'))),
      h('tbody', null, rows)))
}

function renderBrick (b) {
  const offline = b.online === false
  const st = b.online === true ? pill('online', 'ok') : offline ? pill('offline', 'bad') : pill('unknown', 'unknown')
  const unknownNum = (n) => (n === null || n === undefined ? h('span', { class: 'muted', title: 'unknown' }, '?') : count(n))
  return h('tr', {
    class: offline ? 'brick-offline' : 'brick-online',
    'data-brick': b.host + ':' + b.path,
    'data-online': String(b.online),
  },
  h('td', null, b.host, b.arbiter ? ' (arbiter)' : ''),
  h('td', { class: 'mono' }, b.path),
  h('td', null, st),
  h('td', { class: 'num' }, b.pid ? String(b.pid) : '–'),
  h('td', { class: 'num' }, b.port ? String(b.port) : '–'),
  h('td', { class: 'num' }, unknownNum(b.heal_pending)),
  h('td', { class: 'num' + (b.split_brain > 0 ? ' bad' : '') }, unknownNum(b.split_brain)),
  h('td', null, capacityMeter(b)),
  h('td', null, inodeMeter(b)))
}

// ------------------------------------------------------------------ buckets

async function refreshBuckets () {
  const gen = state.generation
  try {
    await guarded(async () => {
      try {
        const b = await api('/admin/v1/buckets')
        if (gen === state.generation) renderBuckets(b)
      } catch (e) {
        if (e instanceof NotFound) {
          if (gen === state.generation) renderBucketsUnavailable('bucket statistics unavailable')
          return
        }
        throw e
      }
    })
  } catch (e) {
    if (gen === state.generation) renderBucketsUnavailable('bucket statistics unavailable: ' + e.message)
  }
}

function renderBucketsUnavailable (msg) {
  $('bucket-list').replaceChildren(h('p', { class: 'muted', id: 'buckets-unavailable' }, msg))
}

function renderBuckets (b) {
  const list = b.buckets || []
  state.bucketCount = count(list.length)
  const tile = $('tile-buckets')
  if (tile) tile.firstChild.textContent = state.bucketCount
  const rows = list.map((x) => h('tr', { 'data-bucket': x.name, 'data-objects': String(x.objects) },
    h('td', null, x.name),
    h('td', null, x.owner || ''),
    h('td', null, x.region || ''),
    h('td', { title: x.created || '' }, x.created ? String(x.created).slice(0, 10) : ''),
    h('td', { class: 'num' }, count(x.objects)),
    h('td', { class: 'num' }, bytes(x.bytes))))
  $('bucket-list').replaceChildren(
    list.length
      ? h('table', { class: 'nowrap' },
        h('thead', null, h('tr', null, h('th', null, 'name'), h('th', null, 'owner'), h('th', null, 'region'), h('th', null, 'created'), h('th', { class: 'num' }, 'objects'), h('th', { class: 'num' }, 'bytes'))),
        h('tbody', null, rows),
        h('tfoot', null, h('tr', null, h('th', null, list.length + ' bucket(s)'), h('th'), h('th'), h('th'), h('th', { class: 'num' }, count(b.objects)), h('th', { class: 'num' }, bytes(b.bytes)))))
      : h('p', { class: 'muted' }, 'No bucket yet.'))
}

// ------------------------------------------------------------------ request rates

async function refreshRates () {
  const gen = state.generation
  try {
    await guarded(async () => {
      const r = await api('/admin/v1/stats/requests')
      if (gen === state.generation) renderRates(r.minutes || [])
    })
  } catch (e) {
    if (gen === state.generation) $('requests-summary').textContent = 'rates unavailable: ' + e.message
  }
}

/** An axis top at or above `n`: 4, or 1, 2, 4, 6, 8 x 10^k (so its half is a whole number). */
function niceCeil (n) {
  if (n <= 4) return 4
  const p = 10 ** Math.floor(Math.log10(n))
  for (const f of [1, 2, 4, 6, 8, 10]) if (f * p >= n) return f * p
  return 10 * p
}

function renderRates (minutes) {
  const W = 600
  const H = 170
  const left = 34
  const bottom = 18
  const top = 8
  const plotW = W - left - 4
  const plotH = H - top - bottom
  const max = niceCeil(Math.max(0, ...minutes.map((m) => m.requests)))
  const bw = plotW / Math.max(1, minutes.length)
  const y = (n) => top + plotH - (n / max) * plotH
  const svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'requests per minute, last hour' })
  for (const frac of [0, 0.5, 1]) {
    const yy = y(max * frac)
    svg.append(s('line', { class: 'axis', x1: left, x2: W - 4, y1: yy, y2: yy }))
    svg.append(s('text', { class: 'label', x: left - 4, y: yy + 3, 'text-anchor': 'end' }, count(max * frac)))
  }
  minutes.forEach((m, i) => {
    const x = left + i * bw + 0.5
    const w = Math.max(1, bw - 1)
    const ok = m.requests - m.client_errors - m.server_errors
    const g = s('g', { 'data-minute': m.start },
      s('title', null, clock(m.start) + ': ' + m.requests + ' requests, ' + m.client_errors + ' 4xx, ' + m.server_errors + ' 5xx'))
    let base = m.requests
    for (const [n, cls] of [[m.server_errors, 'bar-5xx'], [m.client_errors, 'bar-4xx'], [ok, 'bar-ok']]) {
      if (n <= 0) continue
      g.append(s('rect', { class: cls, x: x.toFixed(1), width: w.toFixed(1), y: y(base).toFixed(1), height: (y(base - n) - y(base)).toFixed(1) }))
      base -= n
    }
    svg.append(g)
  })
  const labels = [[0, '-60 min'], [Math.floor(minutes.length / 2), '-30 min'], [minutes.length - 1, 'now']]
  for (const [i, text] of labels) {
    const anchor = i === 0 ? 'start' : i === minutes.length - 1 ? 'end' : 'middle'
    svg.append(s('text', { class: 'label', x: (left + i * bw + (anchor === 'end' ? bw : 0)).toFixed(1), y: H - 4, 'text-anchor': anchor }, text))
  }
  $('requests-chart').replaceChildren(svg)
  const sum = (k) => minutes.reduce((a, m) => a + m[k], 0)
  const last = minutes.length ? minutes[minutes.length - 1].requests : 0
  $('requests-summary').textContent = count(sum('requests')) + ' S3 requests · ' + count(sum('client_errors')) +
    ' 4xx · ' + count(sum('server_errors')) + ' 5xx · ' + count(last) + ' this minute'
}

// ------------------------------------------------------------------ events feed

function connectFeed () {
  const gen = state.generation
  const q = new URLSearchParams({ token: state.token })
  if (state.lastEventId !== null) q.set('last_event_id', String(state.lastEventId))
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  const ws = new WebSocket(proto + '//' + location.host + '/admin/v1/events/ws?' + q)
  state.ws = ws
  setFeedState('connecting', 'unknown')
  ws.onopen = () => {
    state.wsRetry = 0
    setFeedState('live', 'ok')
  }
  ws.onmessage = (m) => {
    let e
    try { e = JSON.parse(m.data) } catch (_) { return }
    if (typeof e.id === 'number') state.lastEventId = e.id
    addEvent(e)
    // A Gluster event may change what the cluster looks like: ask now, and once more after the
    // collector had time to run the CLI.
    if (e.source === 'gluster') {
      refreshCluster()
      state.timers.push(setTimeout(() => { if (gen === state.generation) refreshCluster() }, 1200))
    }
  }
  ws.onclose = () => {
    if (gen !== state.generation || state.ws !== ws) return
    state.ws = null
    setFeedState('reconnecting', 'warn')
    const delay = Math.min(10000, 1000 * 2 ** state.wsRetry++)
    state.wsTimer = setTimeout(() => { if (gen === state.generation) connectFeed() }, delay)
  }
}

function setFeedState (text, kind) {
  const el = $('feed-state')
  el.className = 'pill pill-' + kind
  el.textContent = text
}

const BAD = /DISCONNECT|FAIL|SPLIT_BRAIN|QUORUM_LOST|DOWN|STOP|ERROR/
const GOOD = /CONNECTED$|_START$|QUORUM_REGAINED|Created/

function eventDetail (e) {
  const m = e.message || {}
  if (e.source === 'gateway' && Array.isArray(m.Records) && m.Records[0]) {
    const r = m.Records[0].s3 || {}
    const bucket = (r.bucket && r.bucket.name) || ''
    return r.object && r.object.key !== undefined ? bucket + '/' + r.object.key : bucket
  }
  if (typeof m === 'object') {
    for (const k of ['brick', 'peer', 'host', 'name', 'key', 'value']) {
      if (typeof m[k] === 'string') return k + '=' + m[k]
    }
  }
  return ''
}

function addEvent (e) {
  const node = e.source === 'gateway' ? 'gateway' : (state.peersById.get(e.nodeid) || (e.nodeid ? String(e.nodeid).slice(0, 8) : ''))
  const name = String(e.event)
  const cls = ['fresh', BAD.test(name) ? 'event-bad' : GOOD.test(name) ? 'event-good' : '']
  const row = h('tr', { class: cls.join(' ').trim(), 'data-event-name': name, 'data-event-id': e.id },
    h('td', { class: 'mono', title: new Date((e.ts || e.received) * 1000).toISOString() }, clock(e.ts || e.received)),
    h('td', { title: name }, name),
    h('td', null, e.volume || ''),
    h('td', { title: e.nodeid || '' }, node),
    h('td', { title: eventDetail(e) }, eventDetail(e)))
  const feed = $('feed')
  feed.prepend(row)
  while (feed.rows.length > FEED_MAX) feed.deleteRow(-1)
  $('feed-empty').hidden = true
}

// ------------------------------------------------------------------ start

document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault()
    const t = $('token').value.trim()
    if (t) login(t)
  })
  $('logout').addEventListener('click', () => showLogin(''))
  const saved = sessionStorage.getItem(TOKEN_KEY)
  if (saved) login(saved)
  else showLogin('')
})
