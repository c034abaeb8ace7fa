// One worker of scripts/bench-store.ts: opens STORE, waits until START (ms since the epoch), then runs
// trials (claim, MEASUREMENTS search measurements, a heartbeat, finish) until the shared study holds
// TOTAL trials. Prints {"trials":N,"start":ms,"end":ms}.

import { isAutotuneError } from '../src/errors.js';
import { openStorage } from '../src/store/index.js';
import { sampleMeasurement, sampleStudy } from '../test/store/store-fixtures.js';

const [location, label, totalText, measurementsText, startText] = process.argv.slice(2);
const total = Number(totalText);
const store = await openStorage(location!);
let study = await store.getStudy('bench');
if (!study) {
  try {
    study = await store.createStudy(sampleStudy('bench'));
  } catch (err) {
    if (!isAutotuneError(err, 'E_STUDY')) throw err;
    study = (await store.getStudy('bench'))!;
  }
}
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startText) - Date.now())));
const start = Date.now();
let trials = 0;
for (let i = 0; ; i++) {
  const trial = await store.createTrial(study.id, { params: { WORKER: label!, I: i }, baseline: null });
  if (!trial) continue;
  if (trial.number >= total) {
    await store.setTrialState(trial.id, { state: 'PRUNED', reason: 'the benchmark has its trials' });
    break;
  }
  for (let repeat = 1; repeat <= Number(measurementsText); repeat++) await store.addMeasurement(trial.id, sampleMeasurement({ repeat }));
  await store.heartbeat(trial.id);
  await store.setTrialState(trial.id, { state: 'COMPLETE', value: i, feasible: true, violation: 0 });
  trials++;
}
const end = Date.now();
await store.close();
process.stdout.write(JSON.stringify({ trials, start, end }));
