/**
 * kube-xds: a pure translator from Kubernetes objects to Envoy v3 xDS resources.
 *
 * @example
 * ```ts
 * import { translate, toEnvoyJson } from 'kube-xds';
 * const { resources, diagnostics } = translate(objects, { ingressClassNames: ['contour'] });
 * ```
 */

export type { Diagnostic, DiagnosticCode, FieldPath, ObjectRef, Severity } from './diagnostics.js';
export { diagnosticCodes, formatDiagnostic, formatPath } from './diagnostics.js';
export type {
  EndpointSliceInput,
  EndpointsInput,
  IngressClassInput,
  IngressInput,
  KubernetesObject,
  SecretInput,
  ServiceInput,
  TLSCertificateDelegationInput,
} from './model/k8s/inputs.js';
export type {
  AccessLogOption,
  ConfigSourceOption,
  ListenerAddressOptions,
  TlsVersion,
  TranslateOptions,
} from './options.js';
export type { EnvoyJson, EnvoyJsonOptions, ResourceKind, XdsResources } from './resources.js';
export { fromEnvoyJson, resourceKinds, resourceName, toEnvoyJson, typeUrls } from './resources.js';
export type { ObjectStatus, TranslateResult } from './translate/translate.js';
export { translate, translateOrThrow } from './translate/translate.js';
export { packAny, typeUrlOf } from './translate/xds/any.js';
export type { ObjectChange, Translator, TranslatorUpdate } from './translator.js';
export { createTranslator } from './translator.js';

// ---------------------------------------------------------------------------------------------------
// Versions, diffs and helpers for xDS servers (src/diff.ts, src/serving.ts; typeUrls is exported above)

export type {
  KindDiff,
  KindVersions,
  PushStep,
  ResourceDiff,
  ResourceOf,
  Upsert,
  VersionOptions,
} from './diff.js';
export {
  applyDiff,
  canonicalBytes,
  diffResources,
  emptyResources,
  isEmpty,
  resourceVersion,
  resourceVersions,
} from './diff.js';
export type { DeltaChanges, DeltaDiscoveryResponseOptions, DiscoveryResponseOptions } from './serving.js';
export { deltaDiscoveryResponse, discoveryResponse, kindOfTypeUrl, packResource } from './serving.js';
