// sluice dashboard: charts, live figures and levers on top of the server-rendered page at `/`.
// Served by the admin plane as a file (its Content-Security-Policy allows no inline script);
// uPlot (window.uPlot) comes from /ui/uplot.js. Without JavaScript the page still shows every
// route's summary and re-reads itself every few seconds.
//
// The admin token is typed by the operator, kept in sessionStorage (gone with the tab) and sent as
// `Authorization: Bearer …`. Never a cookie: no other site's page can make the browser send it.
// Every call is same-origin JSON with `content-type: application/json`, as the admin plane's
// browser guard requires.
(function () {
  'use strict'

  var TOKEN_KEY = 'sluice.adminToken'
  var POLL_MS = 5000
  var MINUTES = 60
  var HISTORY_LIMIT = 50
  var COLORS = { old: '#8a8a8a', new: '#2563eb', limit: '#cc3333', step: '#2563eb', rollback: '#cc3333', other: '#999999' }

  document.documentElement.classList.add('js')

  /**
   * @type {{
   *   token: string, access: 'unknown' | 'open' | 'token' | 'refused', timer: number | undefined, generation: number
   * }}
   */
  var state = { token: sessionStorage.getItem(TOKEN_KEY) || '', access: 'unknown', timer: undefined, generation: 0 }
  /** kind/name → the card's parts and charts */
  var cards = new Map()

  // ---- API --------------------------------------------------------------------------------------

  function api(method, path, body) {
    var headers = { accept: 'application/json' }
    if (state.token) headers.authorization = 'Bearer ' + state.token
    var init = { method: method, headers: headers, credentials: 'omit', cache: 'no-store' }
    if (method !== 'GET') {
      headers['content-type'] = 'application/json'
      init.body = JSON.stringify(body || {})
    }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var json = null
        try { json = text ? JSON.parse(text) : null } catch (_e) { json = null }
        if (!res.ok) {
          var err = new Error((json && json.error && json.error.message) || ('HTTP ' + res.status))
          err.status = res.status
          throw err
        }
        return json
      })
    })
  }

  function targetPath(t) {
    return '/api/' + t.kind + 's/' + encodeURIComponent(t.name)
  }

  // ---- time -------------------------------------------------------------------------------------

  function relative(ms) {
    var s = Math.round((ms - Date.now()) / 1000)
    var a = Math.abs(s)
    var text = a < 60 ? a + ' s' : a < 3600 ? Math.round(a / 60) + ' min' : a < 86400 ? Math.round(a / 3600) + ' h' : Math.round(a / 86400) + ' d'
    return a < 2 ? 'now' : s < 0 ? text + ' ago' : 'in ' + text
  }

  function timeEl(iso) {
    var ms = Date.parse(iso)
    var el = document.createElement('time')
    el.dateTime = iso
    el.dataset.at = String(ms)
    el.title = new Date(ms).toLocaleString() + ' (' + iso + ')'
    el.textContent = localShort(ms) + ' (' + relative(ms) + ')'
    return el
  }

  function localShort(ms) {
    var d = new Date(ms)
    var today = new Date()
    var sameDay = d.toDateString() === today.toDateString()
    return sameDay ? d.toLocaleTimeString() : d.toLocaleString()
  }

  /** Server-rendered UTC times (and ours) become local + relative; re-run every poll so "ago" moves. */
  function refreshTimes(root) {
    root.querySelectorAll('time[datetime]').forEach(function (el) {
      var ms = Date.parse(el.getAttribute('datetime') || '')
      if (!isFinite(ms)) return
      el.title = new Date(ms).toLocaleString() + ' (' + el.getAttribute('datetime') + ')'
      el.textContent = localShort(ms) + ' (' + relative(ms) + ')'
    })
  }

  // ---- DOM helpers ------------------------------------------------------------------------------

  function h(tag, attrs, children) {
    var el = document.createElement(tag)
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === 'text') el.textContent = attrs[k]
        else if (k === 'class') el.className = attrs[k]
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), attrs[k])
        else el.setAttribute(k, attrs[k])
      })
    }
    ;(children || []).forEach(function (c) { if (c) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c) })
    return el
  }

  function pct(x) {
    return (Math.round(x * 100) / 100) + ' %'
  }

  // ---- access (token) ---------------------------------------------------------------------------

  function renderAccess() {
    var box = document.getElementById('access')
    if (!box) return
    box.textContent = ''
    if (state.access === 'open') {
      box.appendChild(h('span', { class: 'hint', text: 'no admin token configured (loopback): levers enabled' }))
      return
    }
    if (state.access === 'token') {
      box.appendChild(h('span', { class: 'hint', text: 'token in this tab: levers enabled ' }))
      box.appendChild(h('button', { type: 'button', id: 'forget-token', text: 'forget token', onclick: function () {
        sessionStorage.removeItem(TOKEN_KEY)
        state.token = ''
        state.access = 'unknown'
        poll()
      } }))
      return
    }
    var input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'current-password', placeholder: 'admin token', 'aria-label': 'admin token' })
    var form = h('form', { id: 'token-form', onsubmit: function (ev) {
      ev.preventDefault()
      state.token = input.value.trim()
      if (state.token) sessionStorage.setItem(TOKEN_KEY, state.token)
      else sessionStorage.removeItem(TOKEN_KEY)
      poll()
    } }, [input, h('button', { type: 'submit', text: 'use token' })])
    box.appendChild(form)
    box.appendChild(h('span', { class: 'hint', text: state.access === 'refused' && state.token ? 'the token was refused' : 'enter the admin token for live charts and levers' }))
  }

  function setAccess(next) {
    var changed = next !== state.access
    state.access = next
    if (changed) {
      renderAccess()
      cards.forEach(function (c) { setLeversEnabled(c, next === 'open' || next === 'token') })
    }
  }

  // ---- cards ------------------------------------------------------------------------------------

  function setupCard(section) {
    var kind = section.dataset.kind
    var name = section.dataset.name
    var now = h('p', { class: 'now' })
    var charts = h('div', { class: 'charts' })
    var message = h('p', { class: 'message', role: 'status' })
    var card = {
      kind: kind, name: name, section: section, now: now, charts: charts, message: message,
      plots: {}, levers: null, target: null,
    }
    var facts = section.querySelector('p.facts')
    section.insertBefore(now, facts ? facts.nextSibling : null)
    section.insertBefore(charts, now.nextSibling)
    card.levers = buildLevers(card)
    section.insertBefore(card.levers, charts.nextSibling)
    section.insertBefore(message, card.levers.nextSibling)
    setLeversEnabled(card, state.access === 'open' || state.access === 'token')
    cards.set(kind + '/' + name, card)
  }

  function buildLevers(card) {
    var reason = h('input', { type: 'text', name: 'reason', placeholder: 'reason (optional)', 'aria-label': 'reason' })
    var body = function (extra) {
      var b = extra || {}
      if (reason.value.trim()) b.reason = reason.value.trim()
      return b
    }
    var command = function (cmd) {
      return h('button', { type: 'button', class: 'lever', 'data-lever': cmd, text: cmd, onclick: function () {
        act(card, cmd, api('POST', targetPath(card) + '/' + cmd, body()))
      } })
    }
    var percent = h('input', { type: 'number', name: 'percent', min: '0', max: '100', step: '0.01', 'aria-label': 'percent to new' })
    var setPercent = h('button', { type: 'button', class: 'lever', 'data-lever': 'set-percent', text: 'set %', onclick: function () {
      var p = Number(percent.value)
      if (percent.value === '' || !isFinite(p)) return say(card, 'error', 'type a percent from 0 to 100')
      act(card, 'set to ' + p + ' %', api('PUT', targetPath(card) + '/percent', body({ percent: p })))
    } })
    var group = h('select', { name: 'group', 'aria-label': 'group' })
    var user = h('input', { type: 'text', name: 'user', placeholder: 'user id', 'aria-label': 'user id' })
    var member = function (add) {
      return h('button', { type: 'button', class: 'lever', 'data-lever': add ? 'add-user' : 'remove-user', text: add ? 'add' : 'remove', onclick: function () {
        var id = user.value.trim()
        if (!group.value || !id) return say(card, 'error', 'choose a group and type a user id')
        var path = targetPath(card) + '/groups/' + encodeURIComponent(group.value) + '/users/' + encodeURIComponent(id)
        act(card, (add ? 'added ' : 'removed ') + id + (add ? ' to ' : ' from ') + group.value, api(add ? 'PUT' : 'DELETE', path, body()))
      } })
    }
    var groups = h('fieldset', { class: 'groups' }, [h('legend', { text: 'beta users' }), group, user, member(true), member(false)])
    card.groupSelect = group
    card.groupsField = groups
    return h('div', { class: 'levers' }, [
      h('fieldset', {}, [h('legend', { text: 'rollout' }), command('pause'), command('resume'), command('promote'), command('rollback')]),
      h('fieldset', {}, [h('legend', { text: 'share' }), percent, setPercent]),
      groups,
      h('fieldset', {}, [h('legend', { text: 'note' }), reason]),
    ])
  }

  function setLeversEnabled(card, on) {
    card.levers.querySelectorAll('button, input, select').forEach(function (el) { el.disabled = !on })
    card.levers.title = on ? '' : 'enter the admin token to use the levers'
  }

  function say(card, kind, text) {
    card.message.className = 'message ' + kind
    card.message.textContent = text
  }

  function act(card, what, promise) {
    say(card, 'busy', what + '…')
    promise.then(function () {
      say(card, 'done', what + ': done')
      poll()
    }, function (err) {
      if (err.status === 401) setAccess('refused')
      say(card, 'error', what + ' refused: ' + err.message)
    })
  }

  // ---- figures ----------------------------------------------------------------------------------

  function updateSummary(card, t) {
    card.target = t
    var section = card.section
    // `live`: the figures below are the API's, so the server-rendered facts and verdict step aside.
    section.className = 'card live ' + t.state
    var st = section.querySelector('h2 .state')
    if (st) st.textContent = t.state.replace('_', ' ')
    var bar = section.querySelector('.bar-new')
    if (bar) bar.setAttribute('width', String(Math.min(100, Math.max(0, t.percent))))
    card.now.textContent = ''
    card.now.appendChild(h('b', { text: pct(t.percent) }))
    card.now.appendChild(document.createTextNode(' to new · ' + stepText(t)))
    if (t.nextStepAt && (t.state === 'progressing' || t.state === 'waiting')) {
      card.now.appendChild(document.createTextNode(' · next step '))
      card.now.appendChild(timeEl(t.nextStepAt))
    }
    var waits = waitsFor(t)
    if (waits) card.now.appendChild(h('span', { class: 'waits', text: ' · ' + waits }))
    if (t.windowOpen !== null) card.now.appendChild(document.createTextNode(t.windowOpen ? ' · schedule window open' : ' · outside the schedule windows'))
    card.now.appendChild(document.createElement('br'))
    card.now.appendChild(verdictLine(t.lastVerdict))
    // Groups for the beta-user lever.
    var names = Object.keys(t.groups || {})
    card.groupsField.hidden = names.length === 0
    var sel = card.groupSelect
    if (sel.options.length !== names.length || names.some(function (n, i) { return sel.options[i].value !== n })) {
      sel.textContent = ''
      names.forEach(function (n) { sel.appendChild(h('option', { value: n, text: n + ' (' + t.groups[n] + ')' })) })
    }
  }

  function verdictLine(v) {
    if (!v) return h('span', { class: 'verdict', text: 'no analysis verdict yet' })
    var side = function (s) {
      return s.requests + ' req, ' + (s.errorRate * 100).toFixed(2) + ' % errors, p99 ' + (s.p99Ms === null ? '–' : s.p99Ms.toFixed(1) + ' ms')
    }
    var label = v.pass ? 'pass' : v.kind === 'inconclusive' ? 'inconclusive (' + (v.missing || 'too few requests') + ')' : 'fail: ' + failures(v).join(', ')
    return h('span', { class: 'verdict ' + (v.pass ? 'ok' : v.kind) }, [
      'last analysis ', timeEl(v.at), ': ', h('b', { text: label }), ' — new ' + side(v.new) + '; old ' + side(v.old),
    ])
  }

  /** The failed checks of a verdict, its own and those outside the error budget (goals, metric checks). */
  function failures(v) {
    var outside = (v.outside || []).filter(function (c) { return c.outcome === 'fail' }).map(function (c) { return c.summary })
    return v.failed.concat(outside)
  }

  function stepText(t) {
    if (t.steps.length === 0) return 'no rollout'
    var ramp = ' (' + t.steps.join(' → ') + ' %)'
    if (t.state === 'rolled_back') return 'rolled back' + ramp
    if (t.state === 'completed') return 'completed' + ramp
    if (t.state === 'manual') return 'set by hand, the ramp stopped' + ramp
    if (t.step < 0) return 'not started yet' + ramp
    return 'step ' + (t.step + 1) + ' of ' + t.steps.length + ramp
  }

  /** What the analysis waits for, in its own words ("inconclusive: 312 of 1,000 new-side requests …"). */
  function waitsFor(t) {
    if (t.state !== 'progressing' && t.state !== 'waiting' && t.state !== 'paused') return ''
    if (t.state === 'paused') return 'paused: resume to continue'
    if (t.windowOpen === false) return 'waiting for the schedule window'
    var missing = (t.analysis && t.analysis.missing) || (t.lastVerdict && t.lastVerdict.missing)
    if (missing) return 'analysis inconclusive: ' + missing
    if (t.lastVerdict && t.lastVerdict.kind === 'fail') return 'analysis failing: ' + failures(t.lastVerdict).join(', ')
    if (t.lastVerdict) return 'analysis passing'
    return ''
  }

  function renderEvents(card, events) {
    // table.events only: uPlot's legends are tables too.
    var old = card.section.querySelector('table.events')
    var table = h('table', { class: 'events' }, [
      h('thead', {}, [h('tr', {}, ['when', 'actor', 'from', 'to', 'reason'].map(function (x) { return h('th', { text: x }) }))]),
      h('tbody', {}, events.slice(-8).reverse().map(function (e) {
        return h('tr', { class: eventKind(e) }, [
          h('td', {}, [timeEl(e.at)]), h('td', { text: e.actor }),
          h('td', { text: e.from.percent + '% ' + e.from.state }), h('td', { text: e.to.percent + '% ' + e.to.state }),
          h('td', { text: e.reason || '' }),
        ])
      })),
    ])
    if (old) old.replaceWith(table)
    else if (events.length > 0) card.section.appendChild(table)
  }

  function eventKind(e) {
    if (e.to.state === 'rolled_back' && e.from.state !== 'rolled_back') return 'rollback'
    if (e.to.percent !== e.from.percent) return 'step'
    return 'other'
  }

  // ---- charts -----------------------------------------------------------------------------------

  /** Vertical lines at events: step changes (blue, dashed), rollbacks (red), other changes (grey). */
  function markersPlugin(getMarks) {
    return {
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx
          var top = u.bbox.top
          var height = u.bbox.height
          getMarks().forEach(function (m) {
            if (m.t < u.scales.x.min || m.t > u.scales.x.max) return
            var x = Math.round(u.valToPos(m.t, 'x', true))
            ctx.save()
            ctx.strokeStyle = COLORS[m.kind] || COLORS.other
            ctx.lineWidth = (m.kind === 'rollback' ? 2 : 1) * devicePixelRatio
            if (m.kind === 'step') ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio])
            ctx.beginPath()
            ctx.moveTo(x, top)
            ctx.lineTo(x, top + height)
            ctx.stroke()
            ctx.restore()
          })
        }],
      },
    }
  }

  function line(label, color, extra) {
    var s = { label: label, stroke: color, width: 2, spanGaps: false, points: { show: false } }
    Object.keys(extra || {}).forEach(function (k) { s[k] = extra[k] })
    return s
  }

  function limitLine(label) {
    return line(label, COLORS.limit, { dash: [6, 4], width: 1.5 })
  }

  /** One chart definition per figure; `series` and `data` follow the same order. */
  function chartDefs(card, series) {
    var pts = series.points
    var t = pts.map(function (p) { return Date.parse(p.t) / 1000 })
    var side = function (s, f, scale) {
      return pts.map(function (p) { var v = p[s][f]; return v === null ? null : v * scale })
    }
    var constant = function (v) { return pts.map(function () { return v }) }
    var limits = series.limits || {}
    var defs = []
    defs.push({
      id: 'share', title: 'share to new (%)', note: 'dashed: step changes · red: rollbacks',
      series: [line('new %', COLORS.new, { paths: window.uPlot.paths.stepped({ align: 1 }), fill: 'rgba(37,99,235,0.12)' })],
      data: [t, pts.map(function (p) { return p.percent })], range: [0, 100], marks: true,
    })
    var errS = [line('old', COLORS.old), line('new', COLORS.new)]
    var errD = [t, side('old', 'errorRate', 100), side('new', 'errorRate', 100)]
    if (limits.errorRate !== undefined) { errS.push(limitLine('limit ' + pct(limits.errorRate * 100))); errD.push(constant(limits.errorRate * 100)) }
    if (limits.errorRateVsOld !== undefined) {
      errS.push(limitLine('limit ' + limits.errorRateVsOld + ' × old'))
      errD.push(side('old', 'errorRate', 100 * limits.errorRateVsOld))
    }
    var hasErrLimit = limits.errorRate !== undefined || limits.errorRateVsOld !== undefined
    defs.push({ id: 'errors', title: 'error rate per side (%)', note: hasErrLimit ? 'red dashed: analysis limit' : 'no error-rate limit configured', series: errS, data: errD, marks: true })
    var p99S = [line('old', COLORS.old), line('new', COLORS.new)]
    var p99D = [t, side('old', 'p99Ms', 1), side('new', 'p99Ms', 1)]
    if (limits.p99Ms !== undefined) { p99S.push(limitLine('limit ' + limits.p99Ms + ' ms')); p99D.push(constant(limits.p99Ms)) }
    if (limits.p99VsOld !== undefined) { p99S.push(limitLine('limit ' + limits.p99VsOld + ' × old')); p99D.push(side('old', 'p99Ms', limits.p99VsOld)) }
    var hasP99Limit = limits.p99Ms !== undefined || limits.p99VsOld !== undefined
    defs.push({ id: 'p99', title: 'p99 latency per side (ms)', note: hasP99Limit ? 'red dashed: analysis limit' : 'no latency limit configured', series: p99S, data: p99D, marks: true })
    defs.push({
      id: 'rps', title: (card.kind === 'queue' ? 'jobs' : 'requests') + ' per second per side', note: '',
      series: [line('old', COLORS.old), line('new', COLORS.new)], data: [t, side('old', 'rps', 1), side('new', 'rps', 1)], marks: true,
    })
    // Shadow traffic (when a route mirrors requests to new): the share of answers that differed.
    if (pts.some(function (p) { return p.shadowMismatchRate !== null && p.shadowMismatchRate !== undefined })) {
      defs.push({
        id: 'shadow', title: 'shadow mismatch rate (%)', note: 'mirrored requests whose answers differed',
        series: [line('mismatch', COLORS.new)],
        data: [t, pts.map(function (p) {
          var rate = p.shadowMismatchRate
          return rate === null || rate === undefined ? null : rate * 100
        })],
        marks: true,
      })
    }
    var goalNames = {}
    pts.forEach(function (p) { Object.keys(p.goals || {}).forEach(function (g) { goalNames[g] = true }) })
    Object.keys(goalNames).sort().forEach(function (g) {
      var rate = function (s) {
        return pts.map(function (p) { var x = p.goals && p.goals[g]; return x && x[s] !== null ? x[s] * 100 : null })
      }
      defs.push({
        id: 'goal-' + g, title: 'goal “' + g + '”: conversion per side (%)', note: 'counts restart when the share changes',
        series: [line('old', COLORS.old), line('new', COLORS.new)], data: [t, rate('old'), rate('new')], marks: true,
      })
    })
    return defs
  }

  function renderCharts(card, series, history) {
    if (!window.uPlot) return
    // With Redis other replicas serve traffic too: say whose figures these are.
    var scope = series.scope === 'fleet' ? 'traffic and goal conversion of every replica, through Redis (traffic points lag one interval)'
      : series.store === 'redis' ? 'traffic figures: replica ' + series.replica + ' only' : ''
    if (card.scopeNote === undefined) {
      card.scopeNote = h('p', { class: 'note scope' })
      card.charts.parentNode.insertBefore(card.scopeNote, card.charts.nextSibling)
    }
    card.scopeNote.textContent = scope
    card.scopeNote.hidden = scope === ''
    var marks = history.events.map(function (e) { return { t: Date.parse(e.at) / 1000, kind: eventKind(e) } })
    card.marks = marks
    var defs = chartDefs(card, series)
    var seen = {}
    defs.forEach(function (def) {
      seen[def.id] = true
      var plot = card.plots[def.id]
      var shape = def.series.map(function (s) { return s.label }).join('|')
      if (plot && plot.shape !== shape) { plot.u.destroy(); plot.box.remove(); plot = undefined }
      if (!plot) plot = card.plots[def.id] = createChart(card, def, shape)
      plot.u.setData(def.data)
      var points = def.data[0].length
      plot.box.dataset.points = String(points)
      plot.box.dataset.marks = String(marks.length)
      plot.box.dataset.rollbacks = String(marks.filter(function (m) { return m.kind === 'rollback' }).length)
    })
    Object.keys(card.plots).forEach(function (id) {
      if (!seen[id]) { card.plots[id].u.destroy(); card.plots[id].box.remove(); delete card.plots[id] }
    })
  }

  function createChart(card, def, shape) {
    var plotEl = h('div', { class: 'plot' })
    var box = h('figure', { class: 'chart chart-' + def.id, 'data-chart': def.id }, [
      h('h3', { text: def.title }), plotEl, def.note ? h('p', { class: 'note', text: def.note }) : null,
    ])
    card.charts.appendChild(box)
    var opts = {
      width: Math.max(260, plotEl.clientWidth || card.charts.clientWidth || 320),
      height: 170,
      series: [{}].concat(def.series),
      scales: {
        x: { time: true },
        y: def.range ? { range: def.range } : { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1] } },
      },
      axes: [{}, { size: 48 }],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      plugins: def.marks ? [markersPlugin(function () { return card.marks || [] })] : [],
    }
    var u = new window.uPlot(opts, def.data, plotEl)
    return { u: u, box: box, plotEl: plotEl, shape: shape }
  }

  function resizeAll() {
    cards.forEach(function (card) {
      Object.keys(card.plots).forEach(function (id) {
        var p = card.plots[id]
        var w = Math.max(260, p.plotEl.clientWidth)
        if (Math.abs(w - p.u.width) > 4) p.u.setSize({ width: w, height: 170 })
      })
    })
  }

  // ---- polling ----------------------------------------------------------------------------------

  /**
   * One round of reads, then the next in POLL_MS. A poll started while another runs (a lever, the
   * token) supersedes it: only the latest round schedules the next, so there is one chain of polls.
   */
  function poll() {
    if (state.timer !== undefined) clearTimeout(state.timer)
    state.timer = undefined
    var generation = ++state.generation
    var next = function () {
      if (generation === state.generation) state.timer = setTimeout(poll, POLL_MS)
    }
    Promise.all([api('GET', '/api/routes'), api('GET', '/api/queues')]).then(function (lists) {
      setAccess(state.token ? 'token' : 'open')
      var targets = lists[0].routes.concat(lists[1].queues)
      return Promise.all(targets.map(function (t) {
        var card = cards.get(t.kind + '/' + t.name)
        if (!card) return undefined
        updateSummary(card, t)
        return Promise.all([
          api('GET', targetPath(t) + '/series?minutes=' + MINUTES),
          api('GET', targetPath(t) + '/history?limit=' + HISTORY_LIMIT),
        ]).then(function (r) {
          renderCharts(card, r[0], r[1])
          renderEvents(card, r[1].events)
        })
      }))
    }).then(function () {
      document.body.dataset.updated = new Date().toISOString()
      refreshTimes(document)
      next()
    }, function (err) {
      refreshTimes(document)
      if (err.status === 401) {
        // Wait for the token: the server-rendered summary stays as it is.
        setAccess('refused')
        return
      }
      console.warn('sluice dashboard: ' + err.message)
      next()
    })
  }

  function start() {
    document.querySelectorAll('section.card[data-kind][data-name]').forEach(setupCard)
    renderAccess()
    refreshTimes(document)
    var pending
    window.addEventListener('resize', function () {
      clearTimeout(pending)
      pending = setTimeout(resizeAll, 150)
    })
    poll()
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
  else start()
})()
