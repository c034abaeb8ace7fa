import { describe, expect, it } from 'vitest';
import { envLines, envValue, formatEnvFile, gainLines } from '../../src/emit/env.js';
import type { RankedTrial } from '../../src/study/ranking.js';
import { parseTunedEnv } from '../../src/apply/tuned-env.js';
import { AutotuneError } from '../../src/errors.js';

describe('best.env lines', () => {
  it('writes sorted export lines with booleans as 0/1', () => {
    expect(envLines({ B: 2, A: true, C: 'h264_cuvid', D: 0.35 })).toEqual([
      'export A=1',
      'export B=2',
      'export C=h264_cuvid',
      'export D=0.35',
    ]);
  });

  it('rejects bad names and values with shell metacharacters', () => {
    for (const [name, value] of [
      ['lower', 1],
      ['1ABC', 1],
      ['A-B', 1],
      ['OK', '$(rm -rf /)'],
      ['OK', 'a b'],
      ['OK', 'x;y'],
      ['OK', '`id`'],
      ['OK', "it's"],
      ['OK', Number.NaN],
      // What `autotune apply` would refuse, emit does not write either.
      ['OK', ''],
      ['OK', 'a=b'],
    ] as const) {
      expect(() => envValue(name, value), `${name}=${String(value)}`).toThrow(AutotuneError);
    }
    expect(envValue('STREAM_MIN_START_BYTES', 262144)).toBe('262144');
    // Variables that change how programs load are written by neither emit nor apply, whatever a space says.
    for (const name of ['PATH', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'DYLD_INSERT_LIBRARIES', 'NODE_OPTIONS', 'PYTHONPATH', 'PYTHONHOME']) {
      expect(() => envValue(name, '/tmp/x'), name).toThrow(/changes how programs load; it is never written to an env file/);
      expect(() => parseTunedEnv(`${name}=/tmp/x\n`, 'best.env'), name).toThrow(/changes how programs load .*apply never writes it/);
    }
    expect(() => parseTunedEnv(envLines({ IMG_SIZE: 640, CONF_THRESHOLD: 0.35, USE_NVDEC: false }).join('\n'), 'best.env')).not.toThrow();
  });
});

describe('the gain lines of best.env', () => {
  const row = (o: Partial<RankedTrial>) =>
    ({ baseline: null, state: 'COMPLETE', feasible: true, sn44: null, phase: 'confirm', speedup: {}, speedupBasis: {}, ...o }) as RankedTrial;
  it('says how much slower the winner is than a faster (infeasible) preset, not "0.63x slower, -1453 ms saved"', () => {
    const winner = row({ number: 5, median: 3.9, search: { median: 3.8 } as RankedTrial['search'], speedup: { DEFAULT: 1.25, QUICK: 0.625 }, speedupBasis: { DEFAULT: 'race', QUICK: 'race' } });
    const ranking = [
      winner,
      row({ number: 0, baseline: 'DEFAULT', median: 4.875, search: { median: 4.8 } as RankedTrial['search'] }),
      row({ number: 1, baseline: 'QUICK', feasible: false, median: 2.4375, search: { median: 2.4 } as RankedTrial['search'] }),
    ];
    expect(gainLines(winner, ranking)).toEqual([
      'vs DEFAULT (trial 0, median 4.875 s): 1.25x faster, 975 ms saved (race figures, same rounds)',
      'vs QUICK (trial 1, median 2.438 s, infeasible): 1.60x slower, 1462 ms slower (race figures, same rounds)',
    ]);
  });
});

describe('the knob lines of best.env', () => {
  const winner = {
    number: 3, baseline: null, state: 'COMPLETE', feasible: true, sn44: null, phase: 'search', median: 1, p90: 1, interval: null, ratioToControl: null,
    accuracy: 1, coverage: 1, challenges: 2, speedup: {}, speedupBasis: {}, search: { median: 1 }, host: 'h',
    params: { IMG_SIZE: 416, ENABLE_HTTP2: 1, TIME_BUDGET_S: 120 },
  } as unknown as RankedTrial;
  const study = (videos: string[]) =>
    ({ name: 's', spaceFile: 'space.yaml', space: { fixed: { TIME_BUDGET_S: 120 } }, objective: { kind: 'fastest-safe', accuracyFloor: 0.98, tMin: 2 }, settings: { videos } }) as never;
  const format = (videos: string[]) => formatEnvFile({ study: study(videos), ranking: [winner], winner, date: new Date(0), analysis: { drift: { detected: false } } as never });

  it('lists the searched knobs, then the fixed ones under their own line; a note on HTTP/2 over plain http only', () => {
    const http = format(['http://127.0.0.1:1/a.mp4']).split('\n').filter((l) => !l.startsWith('# ') || /^# (searched|not searched|ENABLE_HTTP2)/.test(l));
    expect(http).toEqual([
      '# searched by the study:',
      '# ENABLE_HTTP2 made no difference here: the videos came over plain http, and HTTP/2 is only negotiated over TLS (https); keep your own value',
      'export ENABLE_HTTP2=1',
      'export IMG_SIZE=416',
      '# not searched (fixed by space.yaml, or pinned by what this host lacks): set in every trial, not compared with other values:',
      'export TIME_BUDGET_S=120',
      '',
    ]);
    expect(format(['https://127.0.0.1:1/a.mp4'])).not.toMatch(/ENABLE_HTTP2 made no difference/);
    expect(parseTunedEnv(format(['http://x/a.mp4']), 'best.env').map((t) => t.key).sort()).toEqual(['ENABLE_HTTP2', 'IMG_SIZE', 'TIME_BUDGET_S']);
  });
});
