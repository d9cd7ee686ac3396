// Writes build/proto-overlay/validate/validate.proto: the PGV validate.proto shipped inside
// @grpc/grpc-js-xds predates the Envoy API it ships with and lacks StringRules.ignore_empty, which
// envoy/config/core/v3/protocol.proto uses. We copy it and add that one field; nothing else changes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const xdsRoot = dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
const source = join(xdsRoot, 'deps/protoc-gen-validate/validate/validate.proto');
const text = readFileSync(source, 'utf8');

const anchor = /(message StringRules \{[\s\S]*?optional bool strict\s*=\s*25[^;]*;)/;
if (!anchor.test(text)) {
  throw new Error(`prepare-protos: anchor "optional bool strict = 25" not found in ${source}`);
}
if (/ignore_empty\s*=\s*26/.test(text)) {
  throw new Error('prepare-protos: validate.proto already has ignore_empty; the overlay is obsolete');
}
const patched = text.replace(
  anchor,
  '$1\n\n  // Added by kube-xds scripts/prepare-protos.mjs (newer PGV has it).\n  optional bool ignore_empty = 26;',
);

const outDir = 'build/proto-overlay/validate';
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'validate.proto'), patched);
