// Checks STIX 2.1 bundles against the specification's rules for every object: identifiers
// (<type>--<UUID>, unique; SCOs UUIDv5), spec_version, timestamps (RFC 3339 UTC, modified >=
// created, valid_until > valid_from), the required properties of each type callguard writes,
// value ranges (confidence 0-100, sighting count), and that every *_ref / *_refs points at an
// object in the bundle (or a predefined TLP marking). usage: node stix_validate.cjs BUNDLE...
'use strict';
const fs = require('fs');

const TLP = new Set([
  'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9',
  'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
  'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82',
  'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed',
]);
const SDO = new Set(['campaign', 'intrusion-set', 'infrastructure', 'indicator', 'identity']);
const SRO = new Set(['relationship', 'sighting']);
const REQUIRED = {
  identity: ['name'],
  campaign: ['name'],
  'intrusion-set': ['name'],
  infrastructure: ['name'],
  indicator: ['pattern', 'pattern_type', 'valid_from'],
  relationship: ['relationship_type', 'source_ref', 'target_ref'],
  sighting: ['sighting_of_ref'],
  'marking-definition': ['definition_type', 'definition'],
  'extension-definition': ['name', 'schema', 'version', 'extension_types', 'created_by_ref'],
  'phone-number': ['extensions'],
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let failures = 0;
function fail(file, where, msg) {
  console.log(`FAIL ${file}: ${where}: ${msg}`);
  failures++;
}

for (const file of process.argv.slice(2)) {
  const b = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (b.type !== 'bundle') fail(file, 'bundle', 'type must be "bundle"');
  if (!/^bundle--/.test(b.id || '') || !UUID.test(b.id.slice(8))) fail(file, 'bundle', 'bad id');
  if (!Array.isArray(b.objects) || b.objects.length === 0) fail(file, 'bundle', 'no objects');
  const ids = new Map();
  for (const o of b.objects) {
    if (ids.has(o.id)) fail(file, o.id, 'duplicate id');
    ids.set(o.id, o);
  }
  const refs = (o) => {
    const out = [];
    const walk = (v, key) => {
      if (Array.isArray(v)) v.forEach((x) => walk(x, key));
      else if (v && typeof v === 'object') Object.entries(v).forEach(([k, x]) => walk(x, k));
      else if (typeof v === 'string' && key && (key.endsWith('_ref') || key.endsWith('_refs'))) out.push(v);
    };
    walk(o, null);
    return out;
  };
  b.objects.forEach((o, i) => {
    const where = `objects[${i}] (${o.id})`;
    const m = /^([a-z0-9-]+)--(.+)$/.exec(o.id || '');
    if (!m || m[1] !== o.type) return fail(file, where, `id must be "${o.type}--<uuid>"`);
    if (!UUID.test(m[2])) fail(file, where, 'id does not end in an RFC 4122 UUID');
    if (o.spec_version !== '2.1') fail(file, where, 'spec_version must be "2.1"');
    for (const p of REQUIRED[o.type] || []) if (o[p] === undefined) fail(file, where, `missing ${p}`);
    if (!REQUIRED[o.type]) fail(file, where, `unexpected type ${o.type}`);
    const isSco = o.type === 'phone-number';
    if (isSco) {
      if (m[2][14] !== '5') fail(file, where, 'SCO ids must be UUIDv5 (deterministic)');
      if (o.created !== undefined) fail(file, where, 'SCOs have no created');
      if (!o.value && !o.hmac_sha256) fail(file, where, 'phone-number needs value or hmac_sha256');
      // E.164, or a national short code (official-looking lines such as 12309).
      if (o.value && !/^(\+[1-9]\d{5,14}|\d{3,8})$/.test(o.value)) fail(file, where, 'value must be E.164 or a short code');
      if (o.hmac_sha256 && !/^[0-9a-f]{64}$/.test(o.hmac_sha256)) fail(file, where, 'bad hmac_sha256');
      const exts = Object.entries(o.extensions || {});
      if (!exts.some(([k, v]) => ids.get(k)?.type === 'extension-definition' && v.extension_type === 'new-sco'))
        fail(file, where, 'must name its extension-definition with extension_type new-sco');
    } else {
      if (!TS.test(o.created || '')) fail(file, where, 'created must be an RFC 3339 UTC timestamp');
      if (o.type !== 'marking-definition') {
        if (!TS.test(o.modified || '')) fail(file, where, 'modified must be an RFC 3339 UTC timestamp');
        if (o.modified < o.created) fail(file, where, 'modified before created');
      }
    }
    for (const k of ['first_seen', 'last_seen', 'valid_from', 'valid_until'])
      if (o[k] !== undefined && !TS.test(o[k])) fail(file, where, `${k} must be an RFC 3339 UTC timestamp`);
    if (o.first_seen && o.last_seen && o.last_seen < o.first_seen) fail(file, where, 'last_seen before first_seen');
    if (o.valid_until && o.valid_until <= o.valid_from) fail(file, where, 'valid_until must be after valid_from');
    if (o.confidence !== undefined && !(Number.isInteger(o.confidence) && o.confidence >= 0 && o.confidence <= 100))
      fail(file, where, 'confidence must be an integer 0-100');
    if (o.type === 'indicator') {
      if (o.pattern_type !== 'stix') fail(file, where, 'pattern_type must be stix');
      if (!/^\[phone-number:(value|hmac_sha256) = '[^']+'\]$/.test(o.pattern)) fail(file, where, 'bad pattern');
      if (!Array.isArray(o.indicator_types) || !o.indicator_types.length) fail(file, where, 'indicator_types');
    }
    if (o.type === 'sighting' && !(Number.isInteger(o.count) && o.count >= 0 && o.count <= 999999999))
      fail(file, where, 'count must be 0-999999999');
    if (o.type === 'infrastructure' && !(o.infrastructure_types || []).length) fail(file, where, 'infrastructure_types');
    if (o.type === 'identity' && !o.identity_class) fail(file, where, 'identity_class');
    if ((SDO.has(o.type) || SRO.has(o.type) || isSco) && !(o.object_marking_refs || []).length)
      fail(file, where, 'every shared object carries a TLP marking');
    if ((SDO.has(o.type) || SRO.has(o.type)) && o.type !== 'identity' && !o.created_by_ref)
      fail(file, where, 'created_by_ref');
    for (const r of refs(o)) if (!ids.has(r) && !TLP.has(r)) fail(file, where, `dangling reference ${r}`);
    if (o.type === 'relationship') {
      const s = ids.get(o.source_ref), t = ids.get(o.target_ref);
      const ok = { indicates: ['indicator', 'campaign'], 'based-on': ['indicator', 'phone-number'],
                   uses: ['campaign', 'infrastructure'], 'attributed-to': ['campaign', 'intrusion-set'] }[o.relationship_type];
      if (!ok || !s || !t || s.type !== ok[0] || t.type !== ok[1])
        fail(file, where, `relationship ${o.relationship_type} from ${s?.type} to ${t?.type}`);
    }
  });
  if (!failures) console.log(`ok   ${file}: ${b.objects.length} objects valid`);
}
process.exit(failures ? 1 : 0);
