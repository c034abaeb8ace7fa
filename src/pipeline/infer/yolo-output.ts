// Reading a YOLO detector's raw output: the layout is recognised from the output shape, then each
// frame's anchors become candidate boxes (input pixels, x1 y1 x2 y2) above the confidence threshold.
//
// YOLOv8/v11 (Ultralytics ONNX export): [N, 4 + nc, A]  rows cx, cy, w, h, then nc class scores.
// YOLOv5/v7:                            [N, A, 5 + nc]  cx, cy, w, h, objectness, nc class scores
//                                                       (score = objectness x class score).
// A is the anchor count, always larger than the per-anchor row (8400 at 640 for v8, 25200 for v5).

export type YoloLayout =
  | { kind: 'yolov8'; classes: number; anchors: number }
  | { kind: 'yolov5'; classes: number; anchors: number };

/** The layout of a [N, a, b] output, or null when it is neither YOLO layout. */
export function detectLayout(dims: readonly number[]): YoloLayout | null {
  if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d <= 0)) return null;
  const [, a, b] = dims as [number, number, number];
  if (a < b && a >= 5) return { kind: 'yolov8', classes: a - 4, anchors: b };
  if (b < a && b >= 6) return { kind: 'yolov5', classes: b - 5, anchors: a };
  return null;
}

export interface Candidate {
  box: [number, number, number, number];
  classId: number;
  score: number;
}

/** Model class id -> output class id; classes absent from the map are dropped. */
export type ClassMap = ReadonlyMap<number, number>;

/** Candidates of frame `index` of the batch whose best class score is at least `conf`. */
export function frameCandidates(
  data: ArrayLike<number>,
  layout: YoloLayout,
  index: number,
  conf: number,
  classMap: ClassMap | null,
): Candidate[] {
  const { classes, anchors } = layout;
  const out: Candidate[] = [];
  const v8 = layout.kind === 'yolov8';
  const rowLength = classes + (v8 ? 4 : 5);
  const base = index * rowLength * anchors;
  // Element (field f, anchor a): v8 is field-major, v5 anchor-major.
  const at = v8 ? (f: number, a: number) => data[base + f * anchors + a]! : (f: number, a: number) => data[base + a * rowLength + f]!;
  const firstClass = v8 ? 4 : 5;
  for (let a = 0; a < anchors; a++) {
    const objectness = v8 ? 1 : at(4, a);
    if (objectness < conf) continue;
    let best = -1;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      const s = at(firstClass + c, a);
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    const score = bestScore * objectness;
    if (score < conf) continue;
    const classId = classMap ? classMap.get(best) : best;
    if (classId === undefined) continue;
    const cx = at(0, a);
    const cy = at(1, a);
    const hw = at(2, a) / 2;
    const hh = at(3, a) / 2;
    out.push({ box: [cx - hw, cy - hh, cx + hw, cy + hh], classId, score });
  }
  return out;
}
