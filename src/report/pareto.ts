// The Pareto front of time (lower is better) against accuracy (higher is better).

export interface TimeAccuracy {
  time: number;
  accuracy: number;
}

/** Points no other point beats on both axes, sorted by time. */
export function paretoFront<T extends TimeAccuracy>(points: readonly T[]): T[] {
  const sorted = [...points].sort((a, b) => a.time - b.time || b.accuracy - a.accuracy);
  const front: T[] = [];
  let bestAccuracy = -Infinity;
  for (const p of sorted) {
    if (p.accuracy > bestAccuracy) {
      front.push(p);
      bestAccuracy = p.accuracy;
    }
  }
  return front;
}
