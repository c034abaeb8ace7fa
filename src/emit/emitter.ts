// `autotune emit` runs a list of emitters over one study; each writes its own files into the output
// folder. Add an emitter (sysctl, report, ...) by appending it to the list in the emit command.

import type { MeasurementRecord, StudyRecord, TrialRecord } from '../store/types.js';
import type { RankedTrial, StudyAnalysis } from '../study/ranking.js';

export interface EmitContext {
  study: StudyRecord;
  trials: TrialRecord[];
  measurements: MeasurementRecord[];
  ranking: RankedTrial[];
  analysis: StudyAnalysis;
  /** The first-ranked trial; emitters only run when it is feasible. */
  winner: RankedTrial;
  outDir: string;
  date: Date;
}

export interface Emitter {
  name: string;
  /** Writes its files and returns their paths. */
  emit(context: EmitContext): Promise<string[]>;
}
