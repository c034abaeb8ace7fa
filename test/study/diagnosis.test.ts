// diagnose --save at the study layer: the runs of one config become one finished trial; a study keeps
// the measurements of one evaluator, so saving another evaluator's runs into it is refused.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAutotuneError } from '../../src/errors.js';
import { PIPELINE_EVALUATOR_NAME } from '../../src/pipeline/factory.js';
import { challengeResult, failedResult } from '../../src/pipeline/result.js';
import { openStorage } from '../../src/store/index.js';
import { saveDiagnosis } from '../../src/study/diagnosis.js';
import { sampleStudy } from '../store/store-fixtures.js';

const spec = (evaluator: string) => ({ ...sampleStudy('diagnose'), settings: { evaluator, source: 'diagnose' } });
const URL = 'https://lab/a.mp4';
const ok = (config: Record<string, string>) => challengeResult(URL, config, { timeline: { total: 1.5 }, framesAnswered: 25, framesInVideo: 25, accuracy: 1, coverage: 1 });

describe('saving a diagnosis', () => {
  it('makes the study, stores each evaluator only in its own study, and refuses another evaluator with E_STUDY', async () => {
    const store = await openStorage(join(mkdtempSync(join(tmpdir(), 'autotune-diagnosis-')), 'd.db'));
    try {
      const first = await saveDiagnosis(store, spec('a command'), { MODE: 'ok' }, [ok({ MODE: 'ok' }), ok({ MODE: 'ok' })]);
      expect(first).toMatchObject({ createdStudy: true, trial: { number: 0, state: 'COMPLETE' } });
      const failed = await saveDiagnosis(store, spec('a command'), { MODE: 'exit' }, [failedResult(URL, { MODE: 'exit' }, { reason: 'command-exit', message: 'exited 4' })]);
      expect(failed).toMatchObject({ createdStudy: false, trial: { number: 1, state: 'FAIL' } });
      expect(failed.trial.reason).toMatch(/^every challenge failed: command-exit x1; first: /);

      const refused = await saveDiagnosis(store, spec(PIPELINE_EVALUATOR_NAME), { MODE: 'ok' }, [ok({ MODE: 'ok' })]).catch((err: unknown) => err);
      expect(isAutotuneError(refused, 'E_STUDY')).toBe(true);
      expect((refused as Error).message).toBe(`study "diagnose" was measured by a command, not ${PIPELINE_EVALUATOR_NAME}`);
      expect(await store.listTrials(first.study.id)).toHaveLength(2);
    } finally {
      await store.close();
    }
  });
});
