import { describe, expect, it } from 'vitest';
import { bottleneck, StageClock } from '../../src/pipeline/challenge/timeline.js';

describe('StageClock', () => {
  it('reports marks in seconds from t0, first record winning unless set', () => {
    const clock = new StageClock();
    clock.mark('firstByte', clock.t0 + 120);
    clock.mark('firstByte', clock.t0 + 500); // ignored: the first byte came at 120 ms
    clock.set('lastFrame', clock.t0 + 900);
    clock.set('lastFrame', clock.t0 + 1500); // moves on with every batch
    clock.mark('connected', clock.t0 - 50); // before t0 (a warm pool): reported as 0
    const t = clock.timeline();
    expect(t).toEqual({
      connected: 0,
      firstByte: 0.12,
      downloadEnd: null,
      decoderStart: null,
      firstFrame: null,
      firstBatch: null,
      lastFrame: 1.5,
      total: null,
    });
    expect(clock.has('downloadEnd')).toBe(false);
  });
});

describe('bottleneck', () => {
  it('names the longest stage and skips stages never reached', () => {
    expect(bottleneck({ connect: 0, wait: 0.1, download: 0.4, decode: 1.2, infer: 2.5 })).toEqual({ stage: 'infer', seconds: 2.5 });
    expect(bottleneck({ connect: 0.3, wait: null, download: null, decode: null, infer: null })).toEqual({ stage: 'connect', seconds: 0.3 });
    expect(bottleneck({ connect: null, wait: null, download: null, decode: null, infer: null })).toBeNull();
  });
});
