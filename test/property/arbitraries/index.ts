export { inputFeatures, outputFeatures } from './features.js';
export { freeTextInputArb } from './free-text.js';
export { fuzzedInputArb } from './fuzzed.js';
export {
  type CopyChange,
  collidingCopy,
  copyChangeArb,
  hostileObjectArb,
  isAbout,
  type Kind,
  kindNames,
  kinds,
  recognisedKindWithBody,
} from './hostile.js';
export { applyMutations, cloneJson, garbageArb, type Mutation, mutationArb } from './mutation.js';
export {
  creationTimestampArb,
  type Input,
  optionsArb,
  rarely,
  type Snapshot,
  snapshotArb,
  sometimes,
} from './snapshot.js';
export * as vocabulary from './vocabulary.js';
