import type { NewMeasurement, NewStudy } from '../../src/store/index.js';

export function sampleStudy(name: string): NewStudy {
  return {
    name,
    spaceFile: 'search-spaces/quick.yaml',
    space: { name: 'quick', params: [] },
    objective: { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 },
    settings: { repeats: 3 },
    host: { hostname: 'test' },
  };
}

export function sampleMeasurement(over: Partial<NewMeasurement> = {}): NewMeasurement {
  return {
    videoUrl: 'https://127.0.0.1/clip.mp4',
    repeat: 1,
    phase: 'search',
    timeline: {
      connected: 0.01,
      firstByte: 0.02,
      downloadEnd: 0.1,
      decoderStart: 0.03,
      firstFrame: 0.2,
      firstBatch: 0.3,
      lastFrame: 0.9,
      total: 1.0,
    },
    bytes: 123456,
    protocol: 'h2',
    framesDecoded: 50,
    framesAnswered: 50,
    framesInVideo: 50,
    accuracy: 0.99,
    coverage: 1,
    truthF1: 0.9,
    sn44: 0.7,
    provider: 'cpu',
    decoder: 'h264 (software)',
    error: null,
    ...over,
  };
}
