// How many challenges the whole study will take, as far as it can be told now: the trials still to
// run (at the mean cost of the finished ones when trials stop early), the control rounds between
// them, and the confirmation race. Progress bars use it so they never sit at 100% through a race.

import { controlInterval, plannedOf, raceDone, raceOf, type RunView } from './schedule.js';
import { unracedBaselines } from './standing.js';

export interface EstimateInput {
  /** The study's sampled-trial budget and how many of it are used; null budget: bounded by time. */
  budget: number | null;
  sampledSoFar: number;
  /** Share of the time limit spent, and the search challenges this run took in that time (no trial budget). */
  timeShare: number | null;
  searchChallengesThisRun: number;
}

export function estimateTotal(view: RunView, input: EstimateInput): number {
  const { data, policy } = view;
  const v = view.videos.length;
  const done = data.measurements().length;
  const most = plannedOf(policy, v);
  const finished = data.trials().filter((t) => t.baseline === null && t.verdict && t.verdict.kind !== 'interrupted');
  const guess = policy.repeats.kind === 'fixed' ? most : Math.min(most, 2 * v);
  const perTrial = finished.length >= 3 ? finished.reduce((s, t) => s + t.verdict!.challenges, 0) / finished.length : guess;
  const perBaseline = policy.repeats.kind === 'fixed' ? most : Math.min(most, 3 * v);

  let search = 0;
  if (view.live) {
    const measured = data.of(view.live.trial.id, 'search').length;
    search += Math.max(1, Math.round((view.live.trial.baseline ? perBaseline : perTrial) - measured));
  }
  const baselinesLeft = view.pendingBaselines.length - (view.live?.trial.baseline ? 1 : 0);
  search += Math.max(0, baselinesLeft) * perBaseline;
  if (input.budget !== null) {
    const left = input.budget - input.sampledSoFar - (view.live && view.live.trial.baseline === null ? 1 : 0);
    if (!view.exhausted && !view.outOfTime) search += Math.max(0, left) * perTrial;
  } else if (input.timeShare !== null && input.timeShare > 0.02 && input.timeShare < 1 && !view.outOfTime) {
    search += Math.round(input.searchChallengesThisRun * (1 / input.timeShare - 1));
  }
  const control = view.standing.controlTrial ? Math.floor((search + view.sinceControl) / controlInterval(view.standing, v)) * v : 0;

  let race = 0;
  if (policy.confirmRepeats > 0) {
    const raceStarted = data.trials().some((t) => data.race(t.id).length > 0);
    if (raceStarted) {
      const state = raceOf(view);
      const kept = new Set(view.standing.controlTrial ? [view.standing.controlTrial.id] : []);
      if (state && !raceDone(state.race, policy, kept)) {
        const measuredThisRound = state.race.live.reduce((s, id) => s + data.race(id).filter((m) => m.repeat === state.race.rounds + 1).length, 0);
        race = Math.max(0, state.race.live.length * v * (policy.confirmRepeats - state.race.rounds) - measuredThisRound);
      }
    } else {
      const feasible = data.trials().filter((t) => t.baseline === null && t.state === 'COMPLETE' && t.feasible).length;
      const top = Math.min(policy.confirmTop, Math.max(feasible, input.budget === null ? policy.confirmTop : Math.min(policy.confirmTop, input.budget)));
      const unraced = policy.racing.enabled ? unracedBaselines(data, view.standing.objective, policy.control).length : 0;
      const baselines = new Set(data.trials().filter((t) => t.baseline !== null).map((t) => t.baseline)).size - unraced + Math.max(0, baselinesLeft);
      race = top > 0 ? (top + baselines) * v * policy.confirmRepeats : 0;
      // The control round that closes the search.
      if (race > 0 && view.standing.controlTrial && search + view.sinceControl > 0) race += v;
    }
  }
  return done + search + control + race;
}
