// The dashboard in a real browser (Debian's Chromium driven by playwright-core) against a running
// `callguard serve` that has screened simulated traffic. Checks that the figures shown match the
// API, that an analyst's confirmation and an appeal decision take effect in screening, and saves
// a screenshot of every page.
//
// env: CG_URL (http://127.0.0.1:PORT), CG_TOKEN (analyst), CG_SCREEN_TOKEN (screening),
//      CG_BLOCKED (a number screening blocked), CG_ALLOWED (a number it allowed),
//      ARTIFACTS (screenshot directory), CHROMIUM (browser path)
'use strict';
const { chromium } = require('playwright-core');
const fs = require('fs');
const path = require('path');

const URL = process.env.CG_URL;
const TOKEN = process.env.CG_TOKEN;
const ART = process.env.ARTIFACTS;
let fails = 0;
function check(what, cond, detail) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}${cond || detail === undefined ? '' : ': ' + detail}`);
  if (!cond) fails++;
}
async function api(p, opts = {}) {
  const res = await fetch(URL + p, {
    method: opts.method || (opts.body ? 'POST' : 'GET'),
    headers: { Authorization: `Bearer ${opts.token || TOKEN}`, 'Content-Type': 'application/json' },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}
const screen = async (caller) =>
  (await api('/v1/screen', { token: process.env.CG_SCREEN_TOKEN,
    body: { caller, callee: '+8613912345678', ingress: 'mobile' } })).body;
const shot = (page, name) => page.screenshot({ path: path.join(ART, name), fullPage: true });
const loaded = (page, what) => page.waitForSelector(`#page[data-page="${what}"][data-loaded]`, { timeout: 15000 });

(async () => {
  fs.mkdirSync(ART, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('requestfailed', (r) => problems.push('request failed: ' + r.url()));
  try {
    // --- log in: a wrong token is refused, the analyst token opens the app
    await page.goto(URL + '/ui/');
    await page.waitForSelector('#login-form');
    await shot(page, '0-login.png');
    await page.fill('#token', 'cg_not-a-real-token');
    await page.click('#login-form button');
    await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0);
    check('a wrong token is refused with a message', await page.isVisible('#login-form'),
      await page.textContent('#login-error'));
    problems.length = 0;  // the refused login's 401 is expected in the console
    await page.fill('#token', TOKEN);
    await page.click('#login-form button');
    await loaded(page, 'overview');
    check('the analyst token opens the dashboard', await page.isVisible('#app'));

    // --- overview: every figure matches the API (traffic has stopped)
    const o = (await api('/v1/overview?minutes=60')).body;
    const kpi = async (id) => Number((await page.textContent(`[data-testid="kpi-${id}"]`)).replace(/,/g, ''));
    for (const k of ['screened', 'allow', 'label', 'warn', 'block', 'profiles'])
      check(`overview: ${k} shown = API (${o.totals[k]})`, (await kpi(k)) === o.totals[k], await kpi(k));
    check('overview: open appeals shown = API', (await kpi('appeals')) === o.appeals_open);
    check('overview: something was screened', o.totals.screened > 1000, o.totals.screened);
    const drawn = await page.evaluate(() => {
      const c = Chart.getChart(document.getElementById('chart-activity'));
      return c ? c.data.datasets.reduce((s, d) => s + d.data.reduce((a, b) => a + b, 0), 0) : -1;
    });
    const apiSum = o.series.reduce((s, p) => s + p.allow + p.label + p.warn + p.block, 0);
    check(`overview: the activity chart plots the API's series (${apiSum} calls)`, drawn === apiSum, drawn);
    const bars = await page.evaluate(() => Chart.getChart(document.getElementById('chart-reasons')).data.labels);
    check('overview: the reasons chart lists the top reason codes',
      JSON.stringify(bars) === JSON.stringify(o.top_reasons.map((r) => r.code)), JSON.stringify(bars));
    await shot(page, '1-overview.png');

    // --- a blocked number's page: decision, reasons and history as the API has them
    const blocked = process.env.CG_BLOCKED;
    await page.goto(`${URL}/ui/#/number/${encodeURIComponent(blocked)}`);
    await loaded(page, 'number');
    const nb = (await api('/v1/numbers/' + encodeURIComponent(blocked) + '?include=cases')).body;
    check('number page: the number', (await page.textContent('[data-testid="number-title"]')) === nb.number);
    check(`number page: the current decision (${nb.engine.assessment.action})`,
      (await page.textContent('[data-testid="number-action"]')).trim() === nb.engine.assessment.action);
    check(`number page: one row per recorded decision (${nb.verdicts.length})`,
      (await page.locator('[data-testid="verdict-row"]').count()) === nb.verdicts.length && nb.verdicts.length > 0);
    check('number page: the reasons of the current decision',
      (await page.locator('[data-testid="reason-row"]').count()) === nb.engine.assessment.reasons.length);
    const points = await page.evaluate(() => Chart.getChart(document.getElementById('chart-timeline'))
      .data.datasets.reduce((s, d) => s + d.data.length, 0));
    check('number page: the timeline plots every recorded decision', points === nb.verdicts.length, points);
    await shot(page, '2-number-blocked.png');

    // --- confirm an allowed number as a scam: screening blocks it at once
    const allowed = process.env.CG_ALLOWED;
    const before = await screen(allowed);
    check(`before: screening does not block ${allowed}`, before.action !== 'block', before.action);
    await page.goto(`${URL}/ui/#/number/${encodeURIComponent(allowed)}`);
    await loaded(page, 'number');
    await page.fill('#action-note', 'browser test: confirmed');
    await page.click('[data-testid="act-confirm"]');
    await page.waitForSelector('[data-testid="number-list"]', { timeout: 10000 });
    const after = await screen(allowed);
    check('confirm: screening now blocks the number', after.action === 'block', JSON.stringify(after));
    check('confirm: the reason names the analyst feedback',
      after.reasons.some((r) => r.code === 'blocklist_number' && r.detail.includes('feedback')));
    await shot(page, '3-number-confirmed.png');

    // --- the blocked caller appeals; the analyst clears it in the queue; screening unblocks
    const appeal = await fetch(URL + '/v1/appeals', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ number: allowed, contact: 'ops@clinic.example', reason: 'We are a clinic calling patients' }) });
    const ap = await appeal.json();
    check('appeal submitted without a token', appeal.status === 201, JSON.stringify(ap));
    await page.goto(`${URL}/ui/#/appeals`);
    await loaded(page, 'appeals');
    const row = page.locator(`[data-testid="appeal-row"][data-id="${ap.id}"]`);
    check('appeals queue: the new appeal is listed', (await row.count()) === 1);
    const openCount = (await api('/v1/appeals?status=open')).body.appeals.length;
    check('appeals queue: one row per open appeal', (await page.locator('[data-testid="appeal-row"]').count()) === openCount);
    await shot(page, '4-appeals.png');
    await row.locator('[data-testid="appeal-note"]').fill('verified by phone');
    await row.locator('[data-testid="appeal-clear"]').click();
    // Wait for this action's own message: an earlier one may still be showing (6 s).
    await page.waitForFunction((id) => {
      const f = document.getElementById('flash');
      return !f.hidden && f.textContent.includes(`Appeal ${id}:`);
    }, ap.id);
    const decided = (await api('/v1/appeals/' + ap.id)).body;
    check('appeal: recorded as cleared with the note', decided.status === 'cleared' && decided.decision_note === 'verified by phone',
      JSON.stringify(decided));
    const unblocked = await screen(allowed);
    check('appeal cleared: screening no longer blocks the number', unblocked.action !== 'block', JSON.stringify(unblocked));
    await shot(page, '5-appeal-decided.png');

    // --- lists: add an entry through the form, see it in the API, remove it
    await page.goto(`${URL}/ui/#/lists`);
    await loaded(page, 'lists');
    await page.selectOption('#list-type', 'prefix');
    await page.fill('#list-value', '+85599');
    await page.fill('#list-note', 'browser test prefix');
    await page.fill('#list-hours', '2');
    await page.click('[data-testid="list-add"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="list-row"]').length > 0 &&
      document.body.textContent.includes('browser test prefix'));
    const lists = (await api('/v1/lists')).body.entries;
    const entry = lists.find((e) => e.value === '+85599');
    check('lists: the entry added in the form is in the API, with its expiry', entry && entry.expires_at, JSON.stringify(entry));
    check('lists: one row per active entry', (await page.locator('[data-testid="list-row"]').count()) === lists.length);
    await shot(page, '6-lists.png');
    await page.locator(`[data-testid="list-row"][data-id="${entry.id}"] [data-testid="list-remove"]`).click();
    await page.waitForFunction((id) => !document.querySelector(`[data-testid="list-row"][data-id="${id}"]`), entry.id);
    check('lists: removed in the page, gone from the API',
      !(await api('/v1/lists')).body.entries.some((e) => e.id === entry.id));

    // --- victims queue: the simulated scam calls made warning tasks; take one, close it
    await page.goto(`${URL}/ui/#/victims`);
    await loaded(page, 'victims');
    const open = (await api('/v1/victims/tasks?state=open')).body.tasks;
    check('victims queue: one row per open task', open.length > 0 &&
      (await page.locator('[data-testid="task-row"]').count()) === open.length, String(open.length));
    await shot(page, '7-victims.png');
    const t = open[0];
    const trow = page.locator(`[data-testid="task-row"][data-id="${t.id}"]`);
    await trow.locator('[data-testid="task-ack"]').click();
    await page.waitForFunction((id) => (document.querySelector(`[data-testid="task-row"][data-id="${id}"]`) || {}).textContent === undefined ||
      !document.querySelector(`[data-testid="task-row"][data-id="${id}"] [data-testid="task-ack"]`), t.id);
    await page.goto(`${URL}/ui/#/victims?state=acknowledged`);
    await loaded(page, 'victims');
    const arow = page.locator(`[data-testid="task-row"][data-id="${t.id}"]`);
    await arow.locator('[data-testid="task-outcome"]').selectOption('prevented');
    await arow.locator('[data-testid="task-note"]').fill('family reached, no transfer');
    await arow.locator('[data-testid="task-done"]').click();
    // The acknowledgement's message may still be showing: wait for the outcome's own.
    await page.waitForFunction(() => {
      const f = document.getElementById('flash');
      return !f.hidden && f.textContent.endsWith(': prevented');
    });
    const done = (await api('/v1/victims/tasks?state=done')).body.tasks.find((x) => x.id === t.id);
    check('victims queue: acknowledged, then closed with the outcome and note',
      done && done.outcome === 'prevented' && done.note === 'family reached, no transfer', JSON.stringify(done));

    // --- operations: regroup, promote the largest to a case, log an arrest
    await page.goto(`${URL}/ui/#/operations`);
    await loaded(page, 'operations');
    await page.click('[data-testid="ops-refresh"]');
    await page.waitForSelector('[data-testid="op-row"]', { timeout: 60000 });
    const ops = (await api('/v1/operations')).body.operations;
    check('operations: one row per operation', ops.length > 0 &&
      (await page.locator('[data-testid="op-row"]').count()) === ops.length, String(ops.length));
    await shot(page, '8-operations.png');
    await page.locator(`[data-testid="op-row"][data-id="${ops[0].id}"] [data-testid="op-promote"]`).click();
    await loaded(page, 'cases');
    await page.selectOption('[data-testid="enf-action"]', 'arrest');
    await page.fill('[data-testid="enf-when"]', '2017-09-21T08:00');
    await page.fill('[data-testid="enf-place"]', 'Siem Reap');
    await page.fill('[data-testid="enf-count"]', '225');
    await page.fill('[data-testid="enf-nat"]', 'CN:225');
    await page.fill('[data-testid="enf-sex"]', 'male:203,female:22');
    await page.click('[data-testid="enf-add"]');
    await page.waitForSelector('[data-testid="enf-row"]');
    const cases = (await api('/v1/cases')).body.cases;
    const kase = (await api('/v1/cases/' + cases[0].id)).body;
    check('cases: the promoted operation is a case with its numbers and the arrest logged',
      kase.links.some((l) => l.kind === 'operation' && l.value === ops[0].id) &&
      kase.enforcement[0].details.people.by_sex.female === 22, JSON.stringify(kase).slice(0, 300));
    await shot(page, '9-case.png');

    // --- every read of a number's page was audited
    check('the browser produced no errors (CSP, scripts, requests)', problems.length === 0, problems.join('; '));
  } catch (e) {
    console.log('FAIL ' + (e.stack || e));
    fails++;
    await shot(page, 'failure.png').catch(() => {});
  } finally {
    await browser.close();
  }
  process.exit(fails ? 1 : 0);
})();
