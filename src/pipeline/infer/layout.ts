// Which export a detector's outputs come from, read from their shapes at a known input size S.
//
// yolov8   [N, 4+nc, A]  Ultralytics YOLOv8/v11: cx, cy, w, h (input pixels), nc class scores; NMS follows.
// yolov5   [N, A, 5+nc]  YOLOv5/v7 (and YOLOX/v6): cx, cy, w, h, objectness, nc class scores; NMS follows.
// end2end  [N, K, 6]     YOLOv10, or YOLO11 exported with nms=True: x1, y1, x2, y2, score, class, already
//                        filtered (no second NMS; the confidence threshold still applies).
// rtdetr   boxes [N, Q, 4] (normalised cx, cy, w, h) + scores [N, Q, nc]; or Ultralytics' single
//          [N, Q, 4+nc]. A set prediction: no NMS.
//
// A reading is confirmed by a fact of the export, not by which dimension is larger: the anchor count
// of yolov8/yolov5 is the count of grid cells at S (strides 8, 16, 32, and 64 for P6 models; 3 anchors
// per cell for YOLOv5), 8400 or 25200 at 640; end2end's K (max_det, 300) is not; an RT-DETR pair is
// two outputs that share Q. One confirmed reading wins; a lone plausible one is taken (a custom head
// such as the lab detector's); anything else is E_MODEL_LAYOUT, which --model-layout settles.

import { AutotuneError } from '../../errors.js';

export const LAYOUT_KINDS = ['yolov8', 'yolov5', 'end2end', 'rtdetr'] as const;
export type LayoutKind = (typeof LAYOUT_KINDS)[number];

export type ModelLayout =
  | { kind: 'yolov8'; classes: number; anchors: number }
  | { kind: 'yolov5'; classes: number; anchors: number }
  | { kind: 'end2end'; rows: number }
  | { kind: 'rtdetr'; classes: number; queries: number };

export interface OutputShape {
  name: string;
  dims: readonly number[];
}

/** A layout and the outputs it is read from: one, or an RT-DETR pair [boxes, scores]. */
export interface OutputPlan {
  layout: ModelLayout;
  outputs: string[];
}

const SHAPES: Record<LayoutKind, string> = {
  yolov8: '[N,4+nc,A]',
  yolov5: '[N,A,5+nc]',
  end2end: '[N,K,6]',
  rtdetr: 'boxes [N,Q,4] + scores [N,Q,nc], or [N,Q,4+nc]',
};

/** Grid cells of a square S input at strides 8-32 and 8-64 (P6): the anchor counts of an anchor-free head. */
function gridCells(size: number): number[] {
  const cells = (strides: number[]) => strides.reduce((n, s) => n + Math.ceil(size / s) ** 2, 0);
  return [cells([8, 16, 32]), cells([8, 16, 32, 64])];
}

/** Anchor counts a YOLO head has at S: one per grid cell, or three (YOLOv5/v7). */
export function anchorCounts(size: number): number[] {
  const cells = gridCells(size);
  return [...cells, ...cells.map((c) => 3 * c)];
}

interface Reading {
  plan: OutputPlan;
  confirmed: boolean;
}

export function describeLayout(layout: ModelLayout): string {
  switch (layout.kind) {
    case 'yolov8':
    case 'yolov5':
      return `${layout.kind} (${layout.classes} classes, ${layout.anchors} anchors)`;
    case 'end2end':
      return `end2end (up to ${layout.rows} boxes)`;
    case 'rtdetr':
      return `rtdetr (${layout.classes} classes, ${layout.queries} queries)`;
  }
}

const rank3 = (o: OutputShape) => o.dims.length === 3 && o.dims.every((d) => Number.isInteger(d) && d > 0);

function singleReadings(o: OutputShape, size: number): Reading[] {
  if (!rank3(o)) return [];
  const [, a, b] = o.dims as [number, number, number];
  const anchors = anchorCounts(size);
  const one = (layout: ModelLayout, confirmed: boolean): Reading => ({ plan: { layout, outputs: [o.name] }, confirmed });
  const out: Reading[] = [];
  if (a >= 5 && a < b) out.push(one({ kind: 'yolov8', classes: a - 4, anchors: b }, gridCells(size).includes(b)));
  if (b >= 6 && b < a) out.push(one({ kind: 'yolov5', classes: b - 5, anchors: a }, anchors.includes(a)));
  if (b === 6 && !anchors.includes(a)) out.push(one({ kind: 'end2end', rows: a }, true));
  // Six columns are end2end's; an RT-DETR with two classes needs --model-layout rtdetr.
  if (b >= 5 && b !== 6 && a > b && !anchors.includes(a)) out.push(one({ kind: 'rtdetr', classes: b - 4, queries: a }, false));
  return out;
}

/** The RT-DETR pair among the outputs: [N,Q,4] boxes and [N,Q,nc] scores, told apart by name when both are [N,Q,4]. */
function pairReading(outputs: readonly OutputShape[]): Reading | null {
  const tensors = outputs.filter(rank3);
  if (tensors.length !== 2) return null;
  const [x, y] = tensors as [OutputShape, OutputShape];
  if (x.dims[0] !== y.dims[0] || x.dims[1] !== y.dims[1]) return null;
  let boxes: OutputShape | undefined;
  let scores: OutputShape | undefined;
  if (x.dims[2] === 4 && y.dims[2] === 4) {
    boxes = tensors.find((t) => /box/i.test(t.name));
    scores = tensors.find((t) => /score|logit|class/i.test(t.name));
    if (!boxes || !scores || boxes === scores) return null;
  } else {
    boxes = tensors.find((t) => t.dims[2] === 4);
    scores = tensors.find((t) => t !== boxes);
  }
  if (!boxes || !scores) return null;
  return {
    plan: { layout: { kind: 'rtdetr', classes: scores.dims[2]!, queries: scores.dims[1]! }, outputs: [boxes.name, scores.name] },
    confirmed: true,
  };
}

/** What a forced layout reads: the same shapes, without asking the anchor count to match. */
function forcedReading(kind: LayoutKind, outputs: readonly OutputShape[]): OutputPlan | null {
  if (kind === 'rtdetr') {
    const pair = pairReading(outputs);
    if (pair) return pair.plan;
  }
  const first = outputs[0];
  if (!first || !rank3(first)) return null;
  const [, a, b] = first.dims as [number, number, number];
  const plan = (layout: ModelLayout): OutputPlan => ({ layout, outputs: [first.name] });
  switch (kind) {
    case 'yolov8':
      return a >= 5 ? plan({ kind, classes: a - 4, anchors: b }) : null;
    case 'yolov5':
      return b >= 6 ? plan({ kind, classes: b - 5, anchors: a }) : null;
    case 'end2end':
      return b === 6 ? plan({ kind, rows: a }) : null;
    case 'rtdetr':
      return b >= 5 ? plan({ kind, classes: b - 4, queries: a }) : null;
  }
}

const shapesText = (outputs: readonly OutputShape[]) => outputs.map((o) => `${o.name} [${o.dims.join(', ')}]`).join(', ');
const FLAG = `--model-layout ${LAYOUT_KINDS.join('|')}`;

/**
 * The layout of a model's outputs (as they came back for an S x S input), or E_MODEL_LAYOUT naming the
 * file, the outputs and shapes, the candidate layouts and the flag. `forced` is --model-layout.
 */
export function resolveLayout(modelPath: string, outputs: readonly OutputShape[], size: number, forced?: LayoutKind): OutputPlan {
  const context = { model: modelPath, outputs: outputs.map((o) => ({ name: o.name, shape: [...o.dims] })), imgSize: size };
  const seen = `outputs ${shapesText(outputs)} at input ${size}x${size}`;
  if (forced) {
    const plan = forcedReading(forced, outputs);
    if (plan) return plan;
    throw new AutotuneError('E_MODEL_LAYOUT', `model ${modelPath}: --model-layout ${forced} expects ${SHAPES[forced]}, but the model has ${seen}`, {
      hint: `check the export, or pass another ${FLAG}`,
      context: { ...context, forced },
    });
  }
  const protos = outputs.find((o) => o.dims.length === 4);
  if (protos) {
    // Ultralytics segmentation: output0 [N, 4+nc+32, A] holds mask coefficients after the class scores.
    throw new AutotuneError(
      'E_MODEL_LAYOUT',
      `model ${modelPath}: ${seen} look like a segmentation export (mask prototypes in ${protos.name}); the tuner reads detection exports`,
      { hint: 'export the detection model (e.g. yolo11n.pt, not yolo11n-seg.pt)', context: { ...context, candidates: [] } },
    );
  }
  const pair = pairReading(outputs);
  const readings = [...(pair ? [pair] : []), ...(outputs[0] ? singleReadings(outputs[0], size) : [])];
  const confirmed = readings.filter((r) => r.confirmed);
  if (confirmed.length === 1) return confirmed[0]!.plan;
  if (confirmed.length === 0 && readings.length === 1) return readings[0]!.plan;
  const candidates = confirmed.length > 1 ? confirmed : readings;
  if (candidates.length > 1) {
    const kinds = candidates.map((r) => r.plan.layout.kind);
    throw new AutotuneError(
      'E_MODEL_LAYOUT',
      `model ${modelPath}: ${seen} read as ${candidates.map((r) => describeLayout(r.plan.layout)).join(' or ')}; pass --model-layout ${kinds.join(' or --model-layout ')}`,
      { hint: 'say which export the model is; the README lists them under "Your model"', context: { ...context, candidates: kinds } },
    );
  }
  throw new AutotuneError(
    'E_MODEL_LAYOUT',
    `model ${modelPath}: ${seen} match no known layout (${LAYOUT_KINDS.map((k) => `${k} ${SHAPES[k]}`).join('; ')}); ${FLAG} reads them as one of these`,
    { hint: 'export the detector with Ultralytics (format=onnx) or check the file', context: { ...context, candidates: [] } },
  );
}

/** Whether a layout's boxes go through NMS (the raw heads) or are final (end2end, RT-DETR). */
export function needsNms(layout: ModelLayout): boolean {
  return layout.kind === 'yolov8' || layout.kind === 'yolov5';
}

export function isLayoutKind(value: string): value is LayoutKind {
  return (LAYOUT_KINDS as readonly string[]).includes(value);
}
