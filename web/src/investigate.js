// callguard dashboard: the investigation pages — the victims queue (acknowledge a warning task,
// record what happened), the operations found by the live grouping (promote one to a case), and
// cases (status, notes, enforcement log). Loaded before app.js, which routes to these; they use
// its helpers (el, api, flash, badge, fmtTime, route) at run time. Text nodes only.
'use strict';

const OUTCOMES = ['reached', 'not_reached', 'prevented', 'paid', 'wrong_person', 'other'];

async function renderVictims(page) {
  const stateParam = new URLSearchParams(location.hash.split('?')[1] || '').get('state') || 'open';
  page.append(el('h1', { text: 'Victims queue' }),
    el('p', { class: 'muted', text: 'People the scam side reached, graded; each task is due by its deadline. Acknowledge when you take it, record the outcome when done.' }));
  const sel = el('select', { id: 'task-state', onchange: () => { location.hash = '#/victims?state=' + sel.value; } },
    ...['open', 'acknowledged', 'done', ''].map((s) => el('option', { value: s, selected: s === stateParam, text: s || 'all' })));
  page.append(el('div', { class: 'row search' }, el('span', { class: 'muted', text: 'State' }), sel));
  const r = await api('/v1/victims/tasks?state=' + encodeURIComponent(stateParam));
  if (!r.tasks.length) {
    page.append(el('div', { class: 'card empty', 'data-testid': 'tasks-empty', text: 'Nothing in the queue.' }));
    page.dataset.loaded = stateParam;
    return;
  }
  const now = Date.now();
  // Most urgent first: grade, then the nearest deadline.
  const rank = { critical: 3, high: 2, medium: 1, low: 0 };
  r.tasks.sort((a, b) => (rank[b.grade] - rank[a.grade]) || a.deadline.localeCompare(b.deadline));
  page.append(el('div', { class: 'card' }, el('table', {},
    el('thead', {}, el('tr', {}, ...['Grade', 'Task', 'Person', 'Operation', 'Reasons', 'Due', 'State', ''].map((h) => el('th', { text: h })))),
    el('tbody', {}, r.tasks.map((t) => {
      const overdue = t.state !== 'done' && Date.parse(t.deadline) < now;
      const note = el('input', { placeholder: 'note', size: 14, 'data-testid': 'task-note' });
      const outcome = el('select', { 'data-testid': 'task-outcome' }, ...OUTCOMES.map((o) => el('option', { value: o, text: o.replace('_', ' ') })));
      const act = async (path, body, what) => {
        try {
          await api(`/v1/victims/tasks/${t.id}/${path}`, { body });
          flash(`${t.kind.replace('_', ' ')} for ${t.person}: ${what}`);
          route();
        } catch (e) { flash(e.message, true); }
      };
      return el('tr', { 'data-testid': 'task-row', 'data-id': t.id, 'data-person': t.person },
        el('td', {}, badge(t.grade === 'critical' ? 'block' : t.grade === 'high' ? 'warn' : 'label', t.grade)),
        el('td', { text: t.kind.replace('_', ' ') + (t.parent ? ' (escalated)' : '') }),
        el('td', {}, el('a', { href: '#/number/' + encodeURIComponent(t.person), text: t.person })),
        el('td', { text: t.operation }),
        el('td', { class: 'small', text: t.reasons.join(', ') }),
        el('td', { class: overdue ? 'error' : '', text: fmtTime(t.deadline) + (overdue ? ' (overdue)' : '') }),
        el('td', {}, badge(t.state === 'done' ? 'allow' : 'inactive', t.state)),
        el('td', {}, t.state === 'done'
          ? el('span', { class: 'muted', text: `${t.outcome} ${t.note || ''}` })
          : el('div', { class: 'row' },
            t.state === 'open' ? el('button', { 'data-testid': 'task-ack', onclick: () => act('acknowledge', { note: note.value || undefined }, 'acknowledged'), text: 'Acknowledge' }) : null,
            outcome, note,
            el('button', { class: 'good', 'data-testid': 'task-done', onclick: () => act('outcome', { outcome: outcome.value, note: note.value || undefined }, outcome.value), text: 'Record outcome' }))));
    })))));
  page.dataset.loaded = stateParam;
}

async function renderOperations(page) {
  page.append(el('h1', { text: 'Operations' }),
    el('p', { class: 'muted', text: 'Risky numbers grouped by shared callees, shared infrastructure and co-activity (Leiden). Promote one to a case to keep its evidence.' }));
  page.append(el('div', { class: 'row search' }, el('button', { 'data-testid': 'ops-refresh', onclick: async () => {
    try { await api('/v1/operations/refresh', { body: {} }); route(); } catch (e) { flash(e.message, true); }
  }, text: 'Regroup now' })));
  const r = await api('/v1/operations');
  if (!r.operations.length) {
    page.append(el('div', { class: 'card empty', 'data-testid': 'ops-empty', text: 'No operations in the latest grouping.' }));
    page.dataset.loaded = '0';
    return;
  }
  page.append(el('div', { class: 'card' }, el('table', {},
    el('thead', {}, el('tr', {}, ...['Operation', 'Type', 'Numbers', 'Calls', 'Last seen', ''].map((h) => el('th', { text: h })))),
    el('tbody', {}, r.operations.map((o) => el('tr', { 'data-testid': 'op-row', 'data-id': o.id },
      el('td', { text: o.id }), el('td', { text: o.type }), el('td', { text: String(o.members) }),
      el('td', { text: String(o.calls) }), el('td', { text: fmtTime(o.last_seen) }),
      el('td', {}, el('button', { class: 'primary', 'data-testid': 'op-promote', onclick: async () => {
        try {
          const c = await api('/v1/cases', { body: { operation: o.id, title: `Operation ${o.id} (${o.type})` } });
          flash(`Case ${c.id} opened`);
          location.hash = '#/cases/' + c.id;
        } catch (e) { flash(e.message, true); }
      }, text: 'Promote to case' }))))))));
  page.dataset.loaded = String(r.operations.length);
}

async function renderCases(page, id) {
  if (id) return renderCase(page, id);
  page.append(el('h1', { text: 'Cases' }));
  const r = await api('/v1/cases');
  if (!r.cases.length) {
    page.append(el('div', { class: 'card empty', 'data-testid': 'cases-empty', text: 'No cases yet: promote an operation.' }));
    page.dataset.loaded = '0';
    return;
  }
  page.append(el('div', { class: 'card' }, el('table', {},
    el('thead', {}, el('tr', {}, ...['Case', 'Title', 'Status', 'Links', 'Updated'].map((h) => el('th', { text: h })))),
    el('tbody', {}, r.cases.map((c) => el('tr', { 'data-testid': 'case-row' },
      el('td', {}, el('a', { href: '#/cases/' + c.id, text: c.id })), el('td', { text: c.title }),
      el('td', {}, badge('inactive', c.status)), el('td', { text: String(c.links) }), el('td', { text: fmtTime(c.updated_at) })))))));
  page.dataset.loaded = String(r.cases.length);
}

async function renderCase(page, id) {
  const c = await api('/v1/cases/' + encodeURIComponent(id));
  page.append(el('h1', { text: c.title }), el('p', { class: 'muted', text: `${c.id} · opened by ${c.created_by} ${fmtTime(c.created_at)}` }));
  const status = el('select', { 'data-testid': 'case-status' }, ...['open', 'referred', 'closed'].map((s) => el('option', { value: s, selected: s === c.status, text: s })));
  const notes = el('textarea', { rows: 4, cols: 70, 'data-testid': 'case-notes' });
  notes.value = c.notes;
  page.append(el('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    try { await api('/v1/cases/' + c.id, { method: 'PATCH', body: { status: status.value, notes: notes.value } }); flash('Case saved'); route(); } catch (err) { flash(err.message, true); }
  } }, el('div', { class: 'row' }, el('span', { class: 'muted', text: 'Status' }), status), notes,
  el('div', {}, el('button', { class: 'primary', type: 'submit', 'data-testid': 'case-save', text: 'Save' }))));
  const ops = c.links.filter((l) => l.kind === 'operation').map((l) => l.value);
  const nums = c.links.filter((l) => l.kind === 'number').map((l) => l.value);
  page.append(el('div', { class: 'card' }, el('h2', { text: `Linked: ${ops.length} operation(s), ${nums.length} number(s)` }),
    el('p', { 'data-testid': 'case-numbers', class: 'small', text: nums.slice(0, 200).join(' ') + (nums.length > 200 ? ' …' : '') })));
  const action = el('select', { 'data-testid': 'enf-action' }, ...['raid', 'arrest', 'deportation', 'seizure', 'referral', 'other'].map((a) => el('option', { value: a, text: a })));
  const when = el('input', { type: 'datetime-local', required: true, 'data-testid': 'enf-when' });
  const place = el('input', { placeholder: 'place', 'data-testid': 'enf-place' });
  const agency = el('input', { placeholder: 'agency', 'data-testid': 'enf-agency' });
  const arrested = el('input', { type: 'number', min: 0, placeholder: 'people (arrests/deported)', 'data-testid': 'enf-count' });
  const byNat = el('input', { placeholder: 'by nationality, e.g. CN:225,KH:3', 'data-testid': 'enf-nat' });
  const bySex = el('input', { placeholder: 'by sex, e.g. male:203,female:22', 'data-testid': 'enf-sex' });
  const counts = (text) => Object.fromEntries(text.split(',').map((x) => x.trim()).filter(Boolean).map((x) => { const [k, v] = x.split(':'); return [k.trim(), Number(v)]; }));
  page.append(el('form', { class: 'card row', onsubmit: async (e) => {
    e.preventDefault();
    const details = {};
    if (arrested.value) details.people = { total: Number(arrested.value), by_nationality: counts(byNat.value), by_sex: counts(bySex.value) };
    try {
      await api(`/v1/cases/${c.id}/enforcement`, { body: { action: action.value, occurred_at: new Date(when.value).toISOString(), place: place.value || undefined, agency: agency.value || undefined, details } });
      flash('Enforcement entry recorded');
      route();
    } catch (err) { flash(err.message, true); }
  } }, action, when, place, agency, arrested, byNat, bySex, el('button', { class: 'primary', type: 'submit', 'data-testid': 'enf-add', text: 'Add to the log' })));
  page.append(el('div', { class: 'card' }, el('h2', { text: 'Enforcement log' }), c.enforcement.length
    ? el('table', {}, el('thead', {}, el('tr', {}, ...['When', 'Action', 'Place', 'Agency', 'Details'].map((h) => el('th', { text: h })))),
      el('tbody', {}, c.enforcement.map((e) => el('tr', { 'data-testid': 'enf-row' }, el('td', { text: fmtTime(e.occurred_at) }), el('td', { text: e.action }),
        el('td', { text: e.place }), el('td', { text: e.agency }), el('td', { class: 'small', text: JSON.stringify(e.details) })))))
    : el('div', { class: 'empty', text: 'Nothing recorded yet.' })));
  page.dataset.loaded = c.id;
}
