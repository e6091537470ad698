// Checks a running `callguard serve` against docs/api/openapi.yaml: every documented operation
// answers with a documented status and a body that fits its schema, needs the documented token
// roles (401 without a token, 403 with a wrong role), and nothing undocumented exists.
//
// env: CG_URL, CG_TOKENS (JSON: {"admin": ..., "analyst": ..., "screening": ..., "partner": ...}),
//      OPENAPI (path of the document)
'use strict';
const fs = require('fs');
const yaml = require('js-yaml');

const URL = process.env.CG_URL;
const TOKENS = JSON.parse(process.env.CG_TOKENS);
const doc = yaml.load(fs.readFileSync(process.env.OPENAPI, 'utf8'));
let fails = 0, checks = 0;
function check(what, cond, detail) {
  checks++;
  if (!cond) { fails++; console.log(`FAIL ${what}${detail === undefined ? '' : ': ' + detail}`); }
}

function resolve(s) {
  while (s && s.$ref) s = s.$ref.split('/').slice(1).reduce((o, k) => o[k], doc);
  return s;
}
// A small JSON Schema check for the subset the document uses.
function validate(v, schema, at, errs) {
  schema = resolve(schema);
  if (!schema) return;
  if (v === null) { if (!schema.nullable) errs.push(`${at}: null`); return; }
  const t = schema.type;
  const ok = { object: typeof v === 'object' && !Array.isArray(v), array: Array.isArray(v), string: typeof v === 'string',
    integer: Number.isInteger(v), number: typeof v === 'number', boolean: typeof v === 'boolean' }[t];
  if (t && !ok) { errs.push(`${at}: expected ${t}, got ${JSON.stringify(v).slice(0, 60)}`); return; }
  if (schema.enum && !schema.enum.includes(v)) errs.push(`${at}: ${v} not in ${schema.enum}`);
  if (t === 'object') {
    for (const r of schema.required || []) if (!(r in v)) errs.push(`${at}: missing '${r}'`);
    for (const [k, s] of Object.entries(schema.properties || {})) if (k in v) validate(v[k], s, `${at}.${k}`, errs);
  }
  if (t === 'array') v.forEach((x, i) => validate(x, schema.items, `${at}[${i}]`, errs));
}

async function call(method, path, { token, body, ctype } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = ctype || 'application/json';
  const res = await fetch(URL + path, { method, headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (_) { /* text */ }
  return { status: res.status, text, json, type: res.headers.get('content-type') || '' };
}

(async () => {
  // Fixtures for path parameters: an appeal, another to decide, and a list entry to delete.
  const mkAppeal = async () => (await call('POST', '/v1/appeals', { body: { number: '+8657188880000', contact: 'c', reason: 'r' } })).json.id;
  const appealId = await mkAppeal();
  const decideId = await mkAppeal();
  const listId = (await call('POST', '/v1/lists', { token: TOKENS.analyst, body: { kind: 'block', type: 'trunk', value: 'openapi-fixture' } })).json.entry.id;
  // Investigation fixtures: two spoofed domestic numbers on one handset over an international
  // route talk 500 s twice each to one person: warning tasks, and an operation after a regroup.
  const iso = (ms) => new Date(ms).toISOString();
  const t0 = Date.now() - 3600000;
  let csv = 'call_id,start_time,caller,callee,answered,duration_s,ring_s,ingress,trunk,origin_country,imei\n';
  ['+8613812340001', '+8613812340002'].forEach((c, i) => [0, 1].forEach((k) => {
    csv += `oa${i}${k},${iso(t0 + (i * 2 + k) * 600000)},${c},+8613998760001,1,500,5,international,intl-gw-1,KH,356938035643809\n`;
  }));
  await call('POST', '/v1/cdr', { token: TOKENS.screening, body: csv, ctype: 'text/csv' });
  let tasks = [];
  for (let i = 0; i < 100 && tasks.length < 2; i++) {
    tasks = (await call('GET', '/v1/victims/tasks?state=open', { token: TOKENS.analyst })).json.tasks
      .filter((t) => t.person === '+8613998760001');
    if (tasks.length < 2) await new Promise((r) => setTimeout(r, 50));
  }
  check('fixture: the crafted calls made at least two warning tasks', tasks.length >= 2, JSON.stringify(tasks));
  await call('POST', '/v1/operations/refresh', { token: TOKENS.analyst, body: {} });
  const opList = (await call('GET', '/v1/operations', { token: TOKENS.analyst })).json.operations;
  check('fixture: the handset-sharing numbers are an operation', opList.length > 0, JSON.stringify(opList));
  const caseId = (await call('POST', '/v1/cases', { token: TOKENS.analyst, body: { title: 'fixture', numbers: ['+8613812340001'] } })).json.id;
  const params = { '/v1/appeals/{id}': { id: appealId }, '/v1/appeals/{id}/decision': { id: decideId }, '/v1/lists/{id}': { id: listId },
    '/v1/operations/{id}': { id: (opList[0] || {}).id }, '/v1/cases/{id}': { id: caseId }, '/v1/cases/{id}/enforcement': { id: caseId },
    '/v1/victims/tasks/{id}/acknowledge': { id: (tasks[0] || {}).id }, '/v1/victims/tasks/{id}/outcome': { id: (tasks[1] || {}).id } };

  const roles = ['admin', 'analyst', 'screening', 'partner'];
  const documented = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const M = method.toUpperCase();
      let p = path;
      for (const prm of op.parameters || [])
        if (prm.in === 'path') p = p.replace(`{${prm.name}}`, encodeURIComponent(String((params[path] || {})[prm.name] ?? prm.example)));
      (documented[p] = documented[p] || []).push(M);
      const allowed = op['x-roles'] || [];
      const isPublic = allowed.includes('public');
      const token = isPublic ? undefined : TOKENS[allowed[0]];
      const content = op.requestBody && op.requestBody.content;
      const ctype = content && Object.keys(content)[0];
      const body = content ? content[ctype].example : undefined;
      const what = `${M} ${path}`;
      const r = await call(M, p, { token, body, ctype });
      const docd = op.responses[String(r.status)];
      check(`${what}: answers a documented status`, !!docd, `${r.status} ${r.text.slice(0, 200)}`);
      check(`${what}: succeeds with role ${allowed[0]}`, r.status >= 200 && r.status < 300, `${r.status} ${r.text.slice(0, 200)}`);
      const schema = docd && docd.content && Object.values(resolve(docd).content || docd.content)[0].schema;
      if (schema && r.type.includes('json')) {
        const errs = [];
        validate(r.json, schema, 'body', errs);
        check(`${what}: body fits its schema`, errs.length === 0, errs.slice(0, 5).join('; '));
      }
      if (!isPublic) {
        const anon = await call(M, p, { body, ctype });
        check(`${what}: 401 without a token`, anon.status === 401 && anon.json && anon.json.error.code === 'unauthorized', anon.status);
        const bad = await call(M, p, { token: 'cg_wrong', body, ctype });
        check(`${what}: 401 with an unknown token`, bad.status === 401 && bad.json.error.code === 'invalid_token', bad.status);
        const other = roles.find((x) => !allowed.includes(x));
        if (other) {
          const f = await call(M, p, { token: TOKENS[other], body, ctype });
          check(`${what}: 403 for role ${other}`, f.status === 403 && f.json.error.code === 'forbidden', f.status);
          check(`${what}: 403 is documented`, !!op.responses['403']);
        }
      }
    }
  }
  // Nothing undocumented: other methods on documented paths, and other paths.
  for (const [p, methods] of Object.entries(documented)) {
    for (const M of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) {
      if (methods.includes(M)) continue;
      const r = await call(M, p, { token: TOKENS.admin, body: M === 'GET' || M === 'DELETE' ? undefined : {} });
      check(`${M} ${p} is not an endpoint`, (r.status === 404 || r.status === 405) && r.json && r.json.error, `${r.status} ${r.text.slice(0, 100)}`);
    }
  }
  for (const p of ['/v1', '/v1/', '/v1/numbers', '/v1/numbers/', '/v1/tokens', '/v1/admin', '/v1/reports',
    '/v1/reports/1', '/v1/feedback/1', '/v1/lists/abc', '/v1/appeals/x/y', '/admin', '/debug', '/v2/screen', '/v1/screen/x',
    '/v1/numbers/+85512345678/extra', '/metrics/x']) {
    const r = await call('GET', p, { token: TOKENS.admin });
    check(`GET ${p} does not exist`, r.status === 404 && r.json && r.json.error.code === 'not_found', `${r.status} ${r.text.slice(0, 100)}`);
  }
  console.log(`${fails ? 'FAIL' : 'ok  '} OpenAPI conformance: ${checks - fails}/${checks} checks over ${Object.keys(doc.paths).length} paths`);
  process.exit(fails ? 1 : 0);
})().catch((e) => { console.log('FAIL ' + (e.stack || e)); process.exit(1); });
