// Loads the Envoy .proto sources (the same ones src/xds-types is generated from) into one protobufjs
// Root, with options kept as written (`keepCase`) so protoc-gen-validate rules can be read from
// `field.parsedOptions`. The Root is built once per process and cached.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const xdsPackageDir = dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
const protobufjsDir = dirname(require.resolve('protobufjs/package.json'));

/** Import roots, searched in order. protobufjs's own folder supplies google/protobuf/descriptor.proto. */
export const protoSearchDirs: readonly string[] = [
  join(xdsPackageDir, 'deps/envoy-api'),
  join(xdsPackageDir, 'deps/xds'),
  join(xdsPackageDir, 'deps/googleapis'),
  join(xdsPackageDir, 'deps/protoc-gen-validate'),
  protobufjsDir,
];

const manifestPath = new URL('../../src/xds-types/manifest.json', import.meta.url);

/** The .proto files src/xds-types was generated from, as recorded in its manifest. */
export function generatedProtoInputs(): string[] {
  const manifest: unknown = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const inputs =
    manifest !== null && typeof manifest === 'object' ? Reflect.get(manifest, 'inputs') : undefined;
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((x) => typeof x === 'string')) {
    throw new Error(`proto-root: ${manifestPath.pathname} has no "inputs" list of .proto files`);
  }
  return inputs;
}

function resolveImport(target: string): string | null {
  // google/protobuf/{any,duration,...}.proto are bundled inside protobufjs as JSON; it loads them by name.
  if (protobuf.common.get(target) !== null) return target;
  for (const dir of protoSearchDirs) {
    const candidate = join(dir, target);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

// The PGV validate.proto vendored in @grpc/grpc-js-xds predates StringRules.ignore_empty (field 26), which
// envoy/config/core/v3/protocol.proto uses. scripts/prepare-protos.mjs writes a patched copy for buf; here
// the same one-field patch is applied in memory so a fresh checkout needs no build step.
const strictAnchor = /(message StringRules \{[\s\S]*?optional bool strict\s*=\s*25[^;]*;)/;

function patchedValidateProto(text: string): string {
  if (/ignore_empty\s*=\s*26/.test(text)) return text;
  if (!strictAnchor.test(text)) {
    throw new Error(
      'proto-root: validate.proto has no "optional bool strict = 25" to anchor ignore_empty after',
    );
  }
  return text.replace(strictAnchor, '$1\n  optional bool ignore_empty = 26;');
}

let cached: protobuf.Root | undefined;

/** The shared, fully resolved Root holding every message reachable from the generated inputs. */
export function protoRoot(): protobuf.Root {
  if (cached !== undefined) return cached;
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string | null => resolveImport(target);

  const validatePath = resolveImport('validate/validate.proto');
  if (validatePath === null) throw new Error('proto-root: validate/validate.proto not found');
  protobuf.parse(patchedValidateProto(readFileSync(validatePath, 'utf8')), root, { keepCase: true });
  // Mark the file as loaded so the import statements in Envoy's files do not read the unpatched copy.
  root.files.push(validatePath);

  // validate.proto's own imports, then everything src/xds-types was generated from.
  const validateImports = [
    'google/protobuf/descriptor.proto',
    'google/protobuf/duration.proto',
    'google/protobuf/timestamp.proto',
  ];
  root.loadSync([...validateImports, ...generatedProtoInputs()], { keepCase: true });
  root.resolveAll();
  cached = root;
  return root;
}

/** The message type with this full name (no leading dot), or undefined. */
export function findMessageType(fullName: string): protobuf.Type | undefined {
  const found = protoRoot().lookup(fullName.startsWith('.') ? fullName : `.${fullName}`);
  return found instanceof protobuf.Type ? found : undefined;
}

/** Every message type in the Root, nested ones included. */
export function allMessageTypes(): protobuf.Type[] {
  const out: protobuf.Type[] = [];
  const walk = (ns: protobuf.Namespace): void => {
    for (const child of ns.nestedArray) {
      if (child instanceof protobuf.Type) out.push(child);
      if (child instanceof protobuf.Namespace) walk(child);
    }
  };
  walk(protoRoot());
  return out;
}
