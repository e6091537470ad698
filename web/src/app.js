// callguard dashboard: a small single-page app over the HTTP API (docs/api/openapi.yaml).
// Same origin, bearer token kept in sessionStorage for the tab's life. All data is rendered as
// text nodes (never as HTML), so nothing a caller or reporter typed can run here.
'use strict';

const ACTIONS = ['allow', 'label', 'warn', 'block'];
const COLORS = { allow: '#3a8d5c', label: '#c59a16', warn: '#d96c1f', block: '#c2303a' };
const state = { token: sessionStorage.getItem('cg_token') || '', charts: [], timer: null, who: null };

// ---- helpers
function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
const fmt = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : n);
const fmtTime = (t) => (t ? t.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '');
const badge = (cls, text) => el('span', { class: `badge ${cls}`, 'data-testid': 'badge' }, text || cls);

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(path, opts = {}) {
  const headers = { Authorization: `Bearer ${state.token}` };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method: opts.method || (opts.body !== undefined ? 'POST' : 'GET'),
    headers,
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  let data = null;
  try { data = await res.json(); } catch (_) { /* empty body */ }
  if (!res.ok) {
    const err = (data && data.error) || {};
    if (res.status === 401 && !opts.login) logout(err.message);
    throw new ApiError(res.status, err.code || 'http_' + res.status, err.message || res.statusText);
  }
  return data;
}

function flash(message, bad) {
  const f = document.getElementById('flash');
  f.textContent = message;
  f.className = bad ? 'flash bad' : 'flash';
  f.hidden = false;
  clearTimeout(flash.t);
  flash.t = setTimeout(() => { f.hidden = true; }, 6000);
}

function clearPage() {
  for (const c of state.charts) c.destroy();
  state.charts = [];
  clearInterval(state.timer);
  state.timer = null;
  const page = document.getElementById('page');
  page.replaceChildren();
  return page;
}

function chart(canvas, config) {
  config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
  const c = new Chart(canvas, config);
  state.charts.push(c);
  return c;
}

// ---- login
async function login(token) {
  state.token = token;
  const who = await api('/v1/whoami', { login: true });
  if (who.role !== 'analyst' && who.role !== 'admin')
    throw new ApiError(403, 'forbidden', `a ${who.role} token cannot use the dashboard`);
  state.who = who;
  sessionStorage.setItem('cg_token', token);
}

function logout(message) {
  sessionStorage.removeItem('cg_token');
  state.token = '';
  clearPage();
  document.getElementById('app').hidden = true;
  document.getElementById('login').hidden = false;
  document.getElementById('login-error').textContent = message || '';
}

// ---- overview
async function renderOverview(page) {
  page.append(el('h1', { text: 'Overview' }));
  const kpis = el('div', { class: 'grid kpis' });
  const activity = el('canvas', { id: 'chart-activity', 'aria-label': 'calls per minute by action' });
  const reasons = el('canvas', { id: 'chart-reasons', 'aria-label': 'top reason codes' });
  const rates = el('div', { 'data-testid': 'rates' });
  page.append(kpis,
    el('div', { class: 'grid two' },
      el('div', { class: 'card' }, el('h2', { text: 'Calls per minute, last hour' }), el('div', { class: 'chart' }, activity)),
      el('div', { class: 'card' }, el('h2', { text: 'Top reasons (label, warn, block)' }), el('div', { class: 'chart' }, reasons))),
    el('div', { class: 'card' }, el('h2', { text: 'Live rates (last full minute)' }), rates));
  let actChart = null, reasonChart = null;
  async function refresh() {
    const o = await api('/v1/overview?minutes=60');
    const t = o.totals;
    const tiles = [
      ['screened', 'Screened', t.screened, ''], ['allow', 'Allowed', t.allow, ''],
      ['label', 'Labelled', t.label, 'label'], ['warn', 'Warned', t.warn, 'warn'],
      ['block', 'Blocked', t.block, 'block'], ['fail_open', 'Fail-open', t.fail_open, ''],
      ['profiles', 'Numbers tracked', t.profiles, ''], ['appeals', 'Open appeals', o.appeals_open ?? 0, 'warn'],
    ];
    kpis.replaceChildren(...tiles.map(([id, k, v, cls]) =>
      el('div', { class: `kpi ${cls}` }, el('div', { class: 'k', text: k }), el('div', { class: 'v', 'data-testid': `kpi-${id}`, text: fmt(v) }))));
    document.getElementById('nav-appeals').textContent = o.appeals_open ? String(o.appeals_open) : '';
    const labels = o.series.map((p) => p.t.slice(11, 16));
    const datasets = ACTIONS.map((a) => ({ label: a, data: o.series.map((p) => p[a]), backgroundColor: COLORS[a], stack: 's' }));
    if (!actChart) {
      actChart = chart(activity, { type: 'bar', data: { labels, datasets },
        options: { scales: { x: { stacked: true, ticks: { maxTicksLimit: 12 } }, y: { stacked: true, beginAtZero: true } } } });
    } else {
      actChart.data.labels = labels;
      actChart.data.datasets.forEach((d, i) => { d.data = datasets[i].data; });
      actChart.update();
    }
    const rl = o.top_reasons.map((r) => r.code), rv = o.top_reasons.map((r) => r.count);
    if (!reasonChart) {
      reasonChart = chart(reasons, { type: 'bar', data: { labels: rl, datasets: [{ label: 'decisions', data: rv, backgroundColor: '#1f5fbf' }] },
        options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } } });
    } else {
      reasonChart.data.labels = rl;
      reasonChart.data.datasets[0].data = rv;
      reasonChart.update();
    }
    const r = o.rates_last_minute;
    rates.replaceChildren(el('div', { class: 'row' },
      ...[['calls_per_s', 'calls/s'], ['label_per_s', 'labelled/s'], ['warn_per_s', 'warned/s'], ['block_per_s', 'blocked/s']]
        .map(([k, name]) => el('span', { class: 'kpi' }, el('span', { class: 'k', text: name + ' ' }), el('b', { 'data-testid': `rate-${k}`, text: r[k].toFixed(2) })))));
    page.dataset.loaded = o.now;
  }
  await refresh();
  state.timer = setInterval(() => refresh().catch((e) => flash(e.message, true)), 5000);
}

// ---- a number
function reasonsTable(reasons) {
  if (!reasons || !reasons.length) return el('div', { class: 'empty', text: 'No reasons: nothing moved the score.' });
  return el('table', {},
    el('thead', {}, el('tr', {}, el('th', { text: 'Detector' }), el('th', { text: 'Code' }), el('th', { text: 'Weight' }), el('th', { text: 'Detail' }))),
    el('tbody', {}, reasons.map((r) => el('tr', { 'data-testid': 'reason-row' },
      el('td', { text: r.detector }), el('td', { class: 'reason-code', text: r.code }),
      el('td', { class: 'num', text: r.weight }), el('td', { text: r.detail || '' })))));
}

async function renderNumber(page, number) {
  page.append(el('h1', { text: 'Numbers' }));
  const input = el('input', { id: 'number-search', placeholder: '+8613800138000 or national', value: number || '' });
  page.append(el('form', { class: 'search', onsubmit: (e) => { e.preventDefault(); location.hash = '#/number/' + encodeURIComponent(input.value.trim()); } },
    input, el('button', { class: 'primary', type: 'submit', text: 'Look up' })));
  if (!number) {
    page.append(el('div', { class: 'empty', text: 'Look a number up to see its decisions, evidence, reports and appeals. Every lookup is recorded in the audit log.' }));
    return;
  }
  let d;
  try {
    d = await api('/v1/numbers/' + encodeURIComponent(number) + '?include=cases');
  } catch (e) {
    page.append(el('div', { class: 'card error', 'data-testid': 'number-error', text: e.message }));
    return;
  }
  const a = d.engine.assessment;
  const activeLists = d.lists.filter((x) => x.active);
  page.append(el('div', { class: 'head' },
    el('h2', { 'data-testid': 'number-title', text: d.number }),
    el('span', { 'data-testid': 'number-action' }, badge(a.action)),
    el('span', { class: 'score', 'data-testid': 'number-score', text: `score ${a.score}` }),
    el('span', { class: 'muted', text: `${d.type}, country code +${d.country_code}` }),
    ...activeLists.map((x) => el('span', { 'data-testid': 'number-list' }, badge(x.kind === 'block' ? 'block' : 'allow', `${x.kind}-listed (${x.source})`)))));

  const note = el('input', { id: 'action-note', placeholder: 'note (why)', size: 40 });
  const act = async (what) => {
    try {
      if (what === 'confirm' || what === 'clear') {
        await api('/v1/feedback', { body: { number: d.number, verdict: what === 'confirm' ? 'scam' : 'clear', note: note.value || undefined } });
      } else {
        await api('/v1/lists', { body: { kind: what, type: 'number', value: d.number, note: note.value || undefined, ttl_s: what === 'block' ? 86400 : undefined } });
      }
      flash(`${d.number}: ${what} recorded and in force`);
      route();
    } catch (e) { flash(e.message, true); }
  };
  page.append(el('div', { class: 'card' }, el('h2', { text: 'Actions' }), el('div', { class: 'row' }, note,
    el('button', { class: 'danger', 'data-testid': 'act-confirm', onclick: () => act('confirm'), text: 'Confirm scam' }),
    el('button', { class: 'good', 'data-testid': 'act-clear', onclick: () => act('clear'), text: 'Clear' }),
    el('button', { 'data-testid': 'act-block', onclick: () => act('block'), text: 'Block 24 h' }),
    el('button', { 'data-testid': 'act-allow', onclick: () => act('allow'), text: 'Allow' }))));

  const p = d.engine.profile;
  const stats = p ? el('dl', { class: 'stats', 'data-testid': 'profile' },
    ...[['Last seen', fmtTime(p.last_seen)], ['Attempts (10 min)', p.attempts.short], ['Attempts (2 h)', p.attempts.medium],
      ['Attempts (24 h)', p.attempts.long], ['Incoming', p.incoming], ['Callbacks', p.callbacks],
      ['Answered', pct(p.answered_share)], ['Short calls', pct(p.short_share)], ['New contacts', pct(p.new_contact_share)],
      ['Reciprocal', pct(p.reciprocal_share)], ['Night', pct(p.night_share)]].flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]))
    : el('div', { class: 'empty', text: 'No calls from this number learned yet.' });
  page.append(el('div', { class: 'grid half' },
    el('div', { class: 'card' }, el('h2', { text: 'If it called now' }),
      el('p', { class: 'muted small', text: `As of ${fmtTime(d.engine.as_of)}, to a known callee, route unknown.` }), reasonsTable(a.reasons)),
    el('div', { class: 'card' }, el('h2', { text: 'Learned behaviour' }), stats)));

  const canvas = el('canvas', { id: 'chart-timeline', 'aria-label': 'verdict scores over time' });
  page.append(el('div', { class: 'card' }, el('h2', { text: `Timeline: ${d.verdicts.length} recorded decisions` }), el('div', { class: 'chart' }, canvas)));
  chart(canvas, { type: 'scatter', data: { datasets: ACTIONS.map((act) => ({
    label: act, backgroundColor: COLORS[act],
    data: d.verdicts.filter((v) => v.action === act).map((v) => ({ x: Date.parse(v.start_time), y: v.score })) })) },
  options: { scales: { x: { type: 'linear', ticks: { callback: (v) => new Date(v).toISOString().slice(5, 16).replace('T', ' ') } }, y: { min: 0, max: 1 } } } });

  page.append(el('div', { class: 'card' }, el('h2', { text: 'Decisions and their reasons' }),
    d.verdicts.length ? el('table', {},
      el('thead', {}, el('tr', {}, el('th', { text: 'Time' }), el('th', { text: 'Callee' }), el('th', { text: 'Action' }), el('th', { text: 'Score' }), el('th', { text: 'Reasons' }))),
      el('tbody', {}, d.verdicts.map((v) => el('tr', { 'data-testid': 'verdict-row' },
        el('td', { text: fmtTime(v.start_time) }), el('td', { text: v.callee }), el('td', {}, badge(v.action)),
        el('td', { class: 'num', text: v.score }),
        el('td', {}, v.reasons.map((r) => el('div', {}, el('span', { class: 'reason-code', text: r.code }), ' ', el('span', { class: 'muted', text: r.detail || '' }))))))))
      : el('div', { class: 'empty', text: 'No decisions recorded for this number (the trail keeps every label, warn and block, and a sample of allows).' })));

  page.append(el('div', { class: 'grid half' },
    el('div', { class: 'card' }, el('h2', {}, 'Reports ', el('span', { class: 'muted', 'data-testid': 'reports-count', text: `${d.reports.distinct_reporters_30d} reporters in 30 days` })),
      d.reports.recent.length ? el('table', {}, el('tbody', {}, d.reports.recent.map((r) => el('tr', { 'data-testid': 'report-row' },
        el('td', { text: fmtTime(r.created_at) }), el('td', { text: r.category }), el('td', { text: r.description }))))) : el('div', { class: 'empty', text: 'No reports.' })),
    el('div', { class: 'card' }, el('h2', { text: 'Appeals' }),
      d.appeals.length ? el('table', {}, el('tbody', {}, d.appeals.map((x) => el('tr', { 'data-testid': 'number-appeal' },
        el('td', { text: fmtTime(x.created_at) }), el('td', {}, badge(x.status)), el('td', { text: x.reason }))))) : el('div', { class: 'empty', text: 'No appeals.' }))));

  page.append(el('div', { class: 'card' }, el('h2', { text: 'List history' }),
    d.lists.length ? listTable(d.lists, false) : el('div', { class: 'empty', text: 'Never listed.' })));
  page.append(el('div', { class: 'card' }, el('h2', { text: 'Analyst feedback' }),
    d.feedback.length ? el('table', {}, el('tbody', {}, d.feedback.map((f) => el('tr', {},
      el('td', { text: fmtTime(f.created_at) }), el('td', {}, badge(f.verdict === 'scam' ? 'block' : 'allow', f.verdict)),
      el('td', { text: f.analyst }), el('td', { text: f.note }))))) : el('div', { class: 'empty', text: 'None.' })));
  page.dataset.loaded = d.number;
}
const pct = (x) => `${Math.round(x * 100)}%`;

// ---- appeals
async function renderAppeals(page) {
  const status = new URLSearchParams(location.hash.split('?')[1] || '').get('status') || 'open';
  page.append(el('h1', { text: 'Appeals' }));
  const sel = el('select', { id: 'appeal-status', onchange: () => { location.hash = '#/appeals?status=' + sel.value; } },
    ...['open', 'cleared', 'upheld', ''].map((s) => el('option', { value: s, selected: s === status, text: s || 'all' })));
  page.append(el('div', { class: 'row search' }, el('span', { class: 'muted', text: 'Status' }), sel));
  const r = await api('/v1/appeals?status=' + encodeURIComponent(status));
  if (!r.appeals.length) {
    page.append(el('div', { class: 'card empty', 'data-testid': 'appeals-empty', text: 'No appeals here.' }));
    page.dataset.loaded = status;
    return;
  }
  page.append(el('div', { class: 'card' }, el('table', {},
    el('thead', {}, el('tr', {}, ...['Received', 'Number', 'Reason', 'Contact', 'Status', 'Decision'].map((h) => el('th', { text: h })))),
    el('tbody', {}, r.appeals.map((a) => {
      const note = el('input', { placeholder: 'note', size: 18, 'data-testid': 'appeal-note' });
      const decide = async (decision) => {
        try {
          await api(`/v1/appeals/${encodeURIComponent(a.id)}/decision`, { body: { decision, note: note.value || undefined } });
          flash(`Appeal ${a.id}: ${decision}`);
          route();
        } catch (e) { flash(e.message, true); }
      };
      return el('tr', { 'data-testid': 'appeal-row', 'data-id': a.id },
        el('td', { text: fmtTime(a.created_at) }),
        el('td', {}, el('a', { href: '#/number/' + encodeURIComponent(a.number), text: a.number })),
        el('td', { text: a.reason }), el('td', { text: a.contact }), el('td', {}, badge(a.status)),
        el('td', {}, a.status === 'open'
          ? el('div', { class: 'row' }, note,
            el('button', { class: 'good', 'data-testid': 'appeal-clear', onclick: () => decide('cleared'), text: 'Clear (unblock)' }),
            el('button', { 'data-testid': 'appeal-uphold', onclick: () => decide('upheld'), text: 'Uphold' }))
          : el('span', { class: 'muted', text: `${a.decided_by} ${fmtTime(a.decided_at)} ${a.decision_note || ''}` })));
    })))));
  page.dataset.loaded = status;
}

// ---- lists
function listTable(entries, removable) {
  return el('table', {},
    el('thead', {}, el('tr', {}, ...['Kind', 'Type', 'Value', 'Note', 'Source', 'Added', 'Expires', ''].map((h) => el('th', { text: h })))),
    el('tbody', {}, entries.map((x) => el('tr', { 'data-testid': 'list-row', 'data-id': x.id },
      el('td', {}, badge(x.active ? (x.kind === 'block' ? 'block' : 'allow') : 'inactive', x.kind)),
      el('td', { text: x.type }), el('td', { text: x.value }), el('td', { text: x.note }), el('td', { text: x.source }),
      el('td', { text: fmtTime(x.created_at) }), el('td', { text: x.removed_at ? 'removed ' + fmtTime(x.removed_at) : fmtTime(x.expires_at) || 'never' }),
      el('td', {}, removable && x.active ? el('button', { 'data-testid': 'list-remove', onclick: async () => {
        try { await api('/v1/lists/' + x.id, { method: 'DELETE' }); flash(`Entry ${x.id} removed`); route(); } catch (e) { flash(e.message, true); }
      }, text: 'Remove' }) : null)))));
}

async function renderLists(page) {
  page.append(el('h1', { text: 'Lists' }));
  const kind = el('select', { id: 'list-kind' }, el('option', { value: 'block', text: 'block' }), el('option', { value: 'allow', text: 'allow' }));
  const type = el('select', { id: 'list-type' }, ...['number', 'prefix', 'trunk', 'country', 'cidr'].map((t) => el('option', { value: t, text: t })));
  const value = el('input', { id: 'list-value', placeholder: 'value', required: true });
  const note = el('input', { id: 'list-note', placeholder: 'note' });
  const hours = el('input', { id: 'list-hours', type: 'number', min: 1, placeholder: 'expires in hours (optional)' });
  page.append(el('form', { class: 'card row', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const body = { kind: kind.value, type: type.value, value: value.value.trim(), note: note.value || undefined };
      if (hours.value) body.ttl_s = Math.round(Number(hours.value) * 3600);
      await api('/v1/lists', { body });
      flash(`${body.kind}-listed ${body.type} ${body.value}`);
      route();
    } catch (err) { flash(err.message, true); }
  } }, kind, type, value, note, hours, el('button', { class: 'primary', type: 'submit', 'data-testid': 'list-add', text: 'Add' })));
  const r = await api('/v1/lists');
  page.append(el('div', { class: 'card' }, el('h2', { text: `${r.entries.length} active entries (kept in the store; list files are not shown)` }),
    r.entries.length ? listTable(r.entries, true) : el('div', { class: 'empty', text: 'No entries.' })));
  page.dataset.loaded = String(r.entries.length);
}

// ---- routing
async function route() {
  if (!state.token) return logout();
  const [path] = location.hash.slice(1).split('?');
  const parts = path.split('/').filter(Boolean);
  const name = parts[0] || 'overview';
  for (const a of document.querySelectorAll('.sidebar a')) a.classList.toggle('active', a.dataset.page === name);
  const page = clearPage();
  page.dataset.page = name;
  delete page.dataset.loaded;
  try {
    if (name === 'number') await renderNumber(page, parts[1] ? decodeURIComponent(parts[1]) : '');
    else if (name === 'appeals') await renderAppeals(page);
    else if (name === 'lists') await renderLists(page);
    else if (name === 'victims') await renderVictims(page);
    else if (name === 'operations') await renderOperations(page);
    else if (name === 'cases') await renderCases(page, parts[1] ? decodeURIComponent(parts[1]) : '');
    else await renderOverview(page);
  } catch (e) {
    if (e.status !== 401) page.append(el('div', { class: 'card error', text: e.message }));
  }
}

async function start() {
  document.getElementById('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await login(document.getElementById('token').value.trim());
      showApp();
    } catch (err) {
      document.getElementById('login-error').textContent = err.message;
    }
  });
  document.getElementById('logout').addEventListener('click', () => logout());
  window.addEventListener('hashchange', route);
  if (state.token) {
    try { await login(state.token); showApp(); return; } catch (_) { /* fall through */ }
  }
  logout();
}

function showApp() {
  document.getElementById('login').hidden = true;
  document.getElementById('app').hidden = false;
  document.getElementById('who').textContent = `${state.who.token_id} (${state.who.role})`;
  route();
}

start();
