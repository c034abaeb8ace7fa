// Sampler speed and search quality. Usage: npx tsx scripts/bench-sampler.ts
// Prints the time of one ask with 500 and 1000 trials of history (TPE target: < 50 ms at 1000) on the
// full sn44 space, and TPE against random search on a synthetic objective with a planted optimum.
import { performance } from 'node:perf_hooks';
import { createRng, createSampler, loadSpace, restrictToCapabilities, type Space } from '../src/search/index.js';
import { randomConfig } from '../src/search/samplers/random.js';
import type { Config } from '../src/pipeline/types.js';
import type { TrialSummary } from '../src/search/index.js';
import { bestSoFar, runStudy, syntheticObjective, syntheticSpace, type Outcome } from '../test/search/synthetic.js';

function fakeHistory(space: Space, n: number): TrialSummary[] {
  const rng = createRng(99);
  return Array.from({ length: n }, (_, number) => {
    const params = randomConfig(space, rng);
    const value = (params.IMG_SIZE as number) / 320 + (params.FRAME_STRIDE as number) * 0.1 + rng.next();
    const state = rng.next() < 0.05 ? 'FAIL' : 'COMPLETE';
    const feasible = state === 'COMPLETE' && (params.FRAME_STRIDE as number) <= 3;
    return { number, params, state, value: state === 'FAIL' ? null : value, feasible, violation: feasible ? 0 : 1, baseline: null };
  });
}

/** Wall-clock median/max and mean CPU time (less sensitive to other processes on a busy host). */
function timeAsk(name: string, space: Space, history: TrialSummary[], reps: number): { median: number; max: number; cpu: number } {
  const sampler = createSampler(name);
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    sampler.ask({ space, history, seed: 1, trialNumber: history.length + i, direction: 'minimize' });
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], max: times[times.length - 1], cpu: (cpu.user + cpu.system) / 1000 / reps };
}

const REPS = 30;
const { space } = restrictToCapabilities(loadSpace('search-spaces/sn44.yaml'), {});
console.log(`ask time on ${space.file} (${space.params.length} searched knobs), ${REPS} asks each:`);
for (const n of [500, 1000]) {
  const history = fakeHistory(space, n);
  for (const name of ['tpe', 'random', 'grid']) {
    timeAsk(name, space, history, 3); // warm-up
    const { median, max, cpu } = timeAsk(name, space, history, REPS);
    const target = name === 'tpe' && n === 1000 ? `  (target < 50 ms: ${median < 50 ? 'met' : 'MISSED'})` : '';
    console.log(
      `  ${name.padEnd(6)} ${String(n).padStart(4)} trials: median ${median.toFixed(2)} ms, max ${max.toFixed(2)} ms, cpu ${cpu.toFixed(2)} ms/ask${target}`,
    );
  }
}

const synthetic = syntheticSpace();
const seeds = Array.from({ length: 20 }, (_, i) => i + 1);
console.log('\nsearch quality: 20 seeds x 60 trials, synthetic objective (6 mixed/conditional knobs, optimum 0):');
for (const name of ['random', 'tpe']) {
  const studies = seeds.map((seed) => runStudy(createSampler(name), synthetic, (c) => ({ value: syntheticObjective(c) }), seed, 60));
  const bests = studies.map(bestSoFar);
  const at = (k: number) => studies.map((h) => bestSoFar(h.slice(0, k))).reduce((a, b) => a + b, 0) / studies.length;
  const late = studies.map((h) => h.slice(30).reduce((s, t) => s + (t.value ?? 0), 0) / 30).reduce((a, b) => a + b, 0) / studies.length;
  const sorted = [...bests].sort((a, b) => a - b);
  console.log(
    `  ${name.padEnd(6)} mean best after 20/40/60 trials: ${at(20).toFixed(3)} / ${at(40).toFixed(3)} / ${at(60).toFixed(3)}` +
      `  median best ${sorted[10].toFixed(3)}  mean value of trials 31-60: ${late.toFixed(3)}`,
  );
}

console.log('\nconstraints: share of feasible trials among trials 31-60, and mean best feasible value:');
const constrained: Record<string, (c: Config) => Outcome> = {
  'X <= 3 and Y <= 10 (optimum inside)': (c) => {
    const v = Math.max(0, (c.X as number) - 3) + Math.max(0, Math.log10(c.Y as number) - 1);
    return { value: syntheticObjective(c), feasible: v === 0, violation: v };
  },
  'N <= 40 (infeasible N > 40 looks 2 better)': (c) => {
    const n = c.N as number;
    return { value: syntheticObjective(c) - (n > 40 ? 2 : 0), feasible: n <= 40, violation: Math.max(0, n - 40) };
  },
};
for (const [label, evaluate] of Object.entries(constrained)) {
  const parts = ['random', 'tpe'].map((name) => {
    const studies = seeds.map((seed) => runStudy(createSampler(name), synthetic, evaluate, seed, 60));
    const feasible = studies.reduce((s, h) => s + h.slice(30).filter((t) => t.feasible).length / 30, 0) / studies.length;
    const best = studies.reduce((s, h) => s + bestSoFar(h), 0) / studies.length;
    return `${name} ${(100 * feasible).toFixed(0)}% feasible, best ${best.toFixed(3)}`;
  });
  console.log(`  ${label}: ${parts.join('; ')}`);
}
