// Inference: detector ONNX models through onnxruntime, with provider fallback and shared sessions.
export { openDetector, DEFAULT_CONF, DEFAULT_IOU, DEFAULT_MAX_DET, type Detector, type DetectorOptions, type InferenceStats } from './detector.js';
export { probeProviders, providerAttempts, DEVICES, type Device, type Provider, type ProviderProbe } from './providers.js';
export { releaseSessions } from './model-session.js';
export { LAYOUT_KINDS, anchorCounts, describeLayout, isLayoutKind, resolveLayout, type LayoutKind, type ModelLayout, type OutputPlan, type OutputShape } from './layout.js';
export { frameCandidates, type Candidate, type ClassMap } from './candidates.js';
export { nms } from './nms.js';
export { preprocessModel } from './preprocess.js';
export { parseClassMap, classMapKey } from './class-map.js';
export { inspectModel, fixedSizePin, type ModelFacts, type InspectOptions } from './inspect.js';
