// The benchmark's side-by-side run and table, with an in-test evaluator whose timings are known:
// interleaving order, figures per contender, ratios to the winner, and a preset whose every
// challenge fails shown as failed with its reason.

import { describe, expect, it } from 'vitest';
import type { PipelineEvaluator } from '../../src/pipeline/evaluator.js';
import { challengeResult } from '../../src/pipeline/result.js';
import type { ChallengeResult, Config, VideoRef } from '../../src/pipeline/types.js';
import { markdownTable, textTable } from '../../scripts/bench/format.js';
import type { ProfileResult } from '../../scripts/bench/profile.js';
import { runSideBySide, type Contender } from '../../scripts/bench/side-by-side.js';

/** Total time = IMG_SIZE / 100 s; IMG_SIZE 999 answers an HTTP 503. */
function knownEvaluator(): PipelineEvaluator {
  const evaluate = async (config: Config, video: VideoRef): Promise<ChallengeResult> => {
    const failed = config.IMG_SIZE === 999;
    const total = failed ? null : Number(config.IMG_SIZE) / 100;
    return challengeResult(video.url, config, {
      timeline: { connected: 0, firstByte: 0, downloadEnd: 0, decoderStart: 0, firstFrame: 0, firstBatch: 0, lastFrame: total, total },
      bytes: 10,
      protocol: 'http/1.1',
      framesDecoded: failed ? 0 : 10,
      framesAnswered: failed ? 0 : 10,
      framesInVideo: 10,
      provider: 'cpu',
      decoder: 'h264 (software)',
      accuracy: failed ? null : 1,
      coverage: failed ? null : 1,
      sn44: failed ? null : 0.5,
      error: failed ? { reason: 'http-status', message: 'HTTP 503 from the server' } : null,
    });
  };
  return { evaluate, reference: async () => null, close: async () => {} } as unknown as PipelineEvaluator;
}

const contenders: Contender[] = [
  { label: 'fork-default', aliases: [], kind: 'baseline', config: { IMG_SIZE: 640 } },
  { label: 'BROKEN', aliases: [], kind: 'baseline', config: { IMG_SIZE: 999 } },
  { label: 'winner (trial 3)', aliases: [], kind: 'winner', config: { IMG_SIZE: 320 } },
];
const videos = [{ url: 'https://127.0.0.1:1/a.mp4' }, { url: 'https://127.0.0.1:1/b.mp4' }];
const objective = { kind: 'fastest-safe' as const, accuracyFloor: 0.98, tMin: 2 };

describe('side-by-side run', () => {
  it('interleaves contenders per video, rotating the order each repeat', async () => {
    const { records } = await runSideBySide({ evaluator: knownEvaluator(), contenders, videos, repeats: 2, objective, say: () => {} });
    expect(records).toHaveLength(12);
    expect(records.slice(0, 3).map((r) => r.contender)).toEqual(['fork-default', 'BROKEN', 'winner (trial 3)']);
    expect(records.slice(3, 6).every((r) => r.video === videos[1]!.url)).toBe(true);
    expect(records.slice(6, 9).map((r) => r.contender)).toEqual(['BROKEN', 'winner (trial 3)', 'fork-default']);
  });

  it('gives medians, ratios to the winner, and a failed preset its reason instead of a crash', async () => {
    const { figures } = await runSideBySide({ evaluator: knownEvaluator(), contenders, videos, repeats: 2, objective, say: () => {} });
    const [fork, broken, winner] = figures;
    expect(fork!.figures.median).toBeCloseTo(6.4);
    expect(fork!.ratioToWinner).toBeCloseTo(2);
    expect(winner!.ratioToWinner).toBeCloseTo(1);
    expect(broken!.figures.median).toBeNull();
    expect(broken!.figures.failed).toBe(4);
    expect(broken!.ratioToWinner).toBeNull();
    expect(fork!.totalByVideo[videos[0]!.url]).toBeCloseTo(6.4);

    const result = {
      profile: 'fork',
      contenders: figures,
      floor: { 'winner (trial 3)': { video: videos[0]!.url, total: 3.2, download: 1, decode: 2, infer: 1.6, slowest: 'decode', ratio: 1.6, framesInferred: 10 } },
    } as unknown as ProfileResult;
    const text = textTable([result], 2);
    const brokenLine = text.split('\n').find((l) => l.includes('BROKEN'))!;
    expect(brokenLine).toContain('FAILED');
    expect(brokenLine).toContain('every challenge failed: http-status: HTTP 503 from the server');
    expect(text.split('\n').find((l) => l.includes('fork-default'))).toContain('2.00x');
    expect(text.split('\n').find((l) => l.includes('winner (trial 3)'))).toContain('1.60x (decode)');
    const md = markdownTable([result], 2).split('\n');
    expect(md).toHaveLength(2 + 3);
    expect(md[1]).toMatch(/^\| :--- \| :--- \| ---: /);
  });
});
