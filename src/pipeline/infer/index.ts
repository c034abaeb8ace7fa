// Inference: YOLO ONNX models through onnxruntime, with provider fallback and shared sessions.
export { openDetector, DEFAULT_CONF, DEFAULT_IOU, DEFAULT_MAX_DET, type Detector, type DetectorOptions, type InferenceStats } from './detector.js';
export { probeProviders, providerAttempts, DEVICES, type Device, type Provider, type ProviderProbe } from './providers.js';
export { releaseSessions } from './model-session.js';
export { detectLayout, frameCandidates, type YoloLayout, type Candidate, type ClassMap } from './yolo-output.js';
export { nms } from './nms.js';
export { preprocessModel } from './preprocess.js';
export { parseClassMap, classMapKey } from './class-map.js';
