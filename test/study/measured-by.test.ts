import { describe, expect, it } from 'vitest';
import { describeMeasuredBy } from '../../src/study/measured-by.js';

describe('what measured a study', () => {
  it('calls only the miner evaluator what a validator measures; the pipeline, a command and a replay are proxies', () => {
    const pipeline = describeMeasuredBy({ evaluator: 'the built-in pipeline', model: 'm.onnx' });
    expect(pipeline).toMatchObject({ evaluator: 'the built-in pipeline', proxy: true });
    expect(pipeline.line).toMatch(/a stand-in for your miner, so its times are a proxy for what a validator measures; `autotune run --evaluator miner`/);
    // A study from before the evaluator was recorded was measured by the pipeline.
    expect(describeMeasuredBy({})).toEqual(pipeline);

    const miner = describeMeasuredBy({ evaluator: 'a running miner', target: { kind: 'miner', url: 'http://127.0.0.1:7999', minerDir: '/m' } });
    expect(miner).toEqual({
      evaluator: 'a running miner',
      proxy: false,
      line: 'measured by a running miner at http://127.0.0.1:7999, timed as a validator times it: from the POST to the last byte of the reply',
    });
    const command = describeMeasuredBy({ evaluator: 'a command', target: { kind: 'command', argv: ['python3', 'bench.py', '--video-url', '{url}'] } });
    expect(command.proxy).toBe(true);
    expect(command.line).toBe('measured by a command (python3 bench.py --video-url {url}), timed from its start to its exit: a proxy for what a validator measures, start-up included');
    const replay = describeMeasuredBy({ evaluator: 'the replay of runs.csv', table: 'runs.csv' });
    expect(replay).toMatchObject({ proxy: true, line: 'measured by the replay of runs.csv: figures recorded earlier and replayed, not measured by this study' });
  });
});
