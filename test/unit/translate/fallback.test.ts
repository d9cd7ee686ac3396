/**
 * The fallback certificate through the incremental translator: as hosts enable and drop it, the
 * fallback chain, ingress_fallbackcert and the fallback secret must match a fresh translation.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { applyDiff, createTranslator, emptyResources, toEnvoyJson, translate } from '../../../src/index.js';

const dir = new URL('../../golden/httpproxy/tls-fallback-certificate-served/', import.meta.url);
const objects = parseAllDocuments(readFileSync(new URL('input.yaml', dir), 'utf8')).map(
  (d) => d.toJS() as { kind: string; metadata: { namespace: string; name: string } },
);
const options = JSON.parse(readFileSync(new URL('options.json', dir), 'utf8'));

test('the fallback chain follows the hosts that enable it, incrementally', () => {
  const translator = createTranslator(options);
  const held = new Map<string, unknown>();
  let previous = emptyResources;
  const check = () => {
    const full = translate([...held.values()], options);
    const update = translator.resources;
    expect(toEnvoyJson(update)).toEqual(toEnvoyJson(full.resources));
    return full;
  };
  // Everything but the proxies first, then each proxy, then the storefront goes again.
  const proxies = objects.filter((o) => o.kind === 'HTTPProxy');
  for (const o of objects.filter((o) => o.kind !== 'HTTPProxy')) held.set(JSON.stringify(o.metadata), o);
  translator.apply([...held.values()].map((object) => ({ type: 'upsert' as const, object })));
  check();
  for (const proxy of proxies) {
    held.set(JSON.stringify(proxy.metadata), proxy);
    const update = translator.apply([{ type: 'upsert', object: proxy }]);
    const full = check();
    expect(toEnvoyJson(applyDiff(previous, update.diff))).toEqual(toEnvoyJson(full.resources));
    previous = full.resources;
  }
  const names = (r: typeof previous) => r.routes.map((c) => c.name);
  expect(names(previous)).toContain('ingress_fallbackcert');
  const storefront = proxies.find((p) => p.metadata.name === 'storefront');
  held.delete(JSON.stringify(storefront?.metadata));
  const update = translator.apply([
    { type: 'delete', kind: 'HTTPProxy', namespace: 'shop', name: 'storefront' },
  ]);
  const full = check();
  expect(names(full.resources)).not.toContain('ingress_fallbackcert');
  expect(full.resources.secrets).toEqual([]);
  expect(update.diff.routes.removed).toContain('ingress_fallbackcert');
});
