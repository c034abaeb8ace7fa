// The lab detector: an ONNX model with designed (not trained) weights that finds the lab clips'
// objects by their kit colours, in the YOLOv8 output layout so the pipeline treats it like a miner's
// Ultralytics export.
//
// How it works, all inside the graph:
// 1. Colour masks. A 1x1 Conv over [x, x^2] computes each kit's squared RGB distance |x - c|^2
//    (linear in x and x^2); a ramp turns it into a soft mask: 1 near the kit colour, 0 far away.
// 2. Local moments. Two separable strided Convs sum, over a window per anchor, the mask and the mask
//    times local coordinates (u, v, u^2, v^2), plus the mask inside the window minus a border band.
//    From these: the blob's centroid, and its extent from the variance (a solid rectangle of width w
//    has variance w^2/12; a disc of diameter d has d^2/16).
// 3. Score. mass ramp x fill ramp x containment ramp: a window holding one whole solid blob scores
//    about 0.95; a window holding two blobs (low fill: mass / (w*h)), part of a blob (mass in the
//    border band) or a speck of noise (low mass) scores near 0. Windows that hold the same whole blob
//    give the same box, and NMS keeps one.
// Every (window position, kit) pair is one anchor; the kit's class gets the score, others 0.
//
// The windows have a fixed size in input pixels, so at a small input size S objects shrink, windows
// hold several of them, and the ball (a few pixels, its colour mixed with the grass) disappears:
// image size has a real accuracy cost, as with a trained YOLO.

import { CLASS_NAMES, KITS, PITCH, type Kit } from '../scene/palette.js';
import { GraphBuilder, type FeatureMap } from './graph-builder.js';
import { TensorType } from './onnx-proto.js';

export const LAB_DETECTOR_OPSET = 17;
export const INPUT_NAME = 'images';
export const OUTPUT_NAME = 'output0';

/** Distance (RGB in 0..1) from the grass-kit colour line below which a pixel is on it, and above which not at all. */
const OFF_LINE_NEAR = 0.12;
const OFF_LINE_FAR = 0.25;

/** Grass the kit is mixed with at its edges. Black is measured from the dark stripes: the light ones lie beyond them. */
const grassFor = (kit: Kit) => (kit.name === 'referee' ? PITCH.grassDark : MEAN_GRASS);
const MEAN_GRASS = PITCH.grassLight.map((v, i) => (v + PITCH.grassDark[i]!) / 2);
/** Coverage below which a pixel counts zero: black lies along the grass's brightness noise, so it needs a margin. */
const coverageFloor = (kit: Kit) => (kit.name === 'referee' ? 0.2 : 0.05);

interface ScaleSpec {
  kits: readonly Kit[];
  /** Window width and height in input pixels, stride between anchors, border band. */
  winW: number;
  winH: number;
  stride: number;
  band: number;
}

interface KitShape {
  /** Extent = factor * standard deviation. */
  extent: number;
  /** Area of the shape relative to its bounding box. */
  fillNorm: number;
  /** Mass (mask pixels) ramp: 0 below lo, 1 above hi. */
  massLo: number;
  massHi: number;
  /** Fill (mass / box area) ramp; two blobs in one window fill less of their joint box. The one ball needs little of this. */
  fill: [number, number];
  /** Height / width ramps: 0 below [0], 1 from [1] to [2], 0 above [3]. */
  aspect: [number, number, number, number];
}

// People are upright rectangles of height / width 2.4 (palette SIZES_AT_720P); the truth lists an
// object when at least half of it is visible, so a body cut to half its height (1.2) or half its width
// (4.8) is at the edge of being an object.
const RECT: KitShape = { extent: Math.sqrt(12), fillNorm: 1, massLo: 12, massHi: 30, fill: [0.6, 0.85], aspect: [1.0, 1.35, 4.4, 5.2] };
const DISC: KitShape = { extent: 4, fillNorm: Math.PI / 4, massLo: 3, massHi: 8, fill: [0.3, 0.5], aspect: [0.5, 0.75, 1.33, 2] };
/** Mask mass in the window's border band: a blob that reaches it is cut by the window. */
const BAND_MASS_NEAR = 1;
const BAND_MASS_FAR = 3;
const TOP_SCORE = 0.95;

const ballKits = KITS.filter((k) => k.name === 'ball');
const personKits = KITS.filter((k) => k.name !== 'ball');

/** Ball windows: balls up to ~13 px. Person windows: people up to ~21x45 and ~45x93 px. */
const SCALES: readonly ScaleSpec[] = [
  { kits: ballKits, winW: 24, winH: 24, stride: 8, band: 2 },
  { kits: personKits, winW: 32, winH: 56, stride: 8, band: 2 },
  { kits: personKits, winW: 64, winH: 112, stride: 16, band: 2 },
];

const shapeOf = (kit: Kit): KitShape => (kit.name === 'ball' ? DISC : RECT);

export interface LabDetectorModel {
  bytes: Uint8Array;
  /** Conv multiply-accumulates for one 640x640 image. */
  macsAt: (size: number) => number;
  anchorsAt: (size: number) => number;
}

export interface LabDetectorOptions {
  /** Extra compute blocks that leave the output unchanged (stand-in for a bigger network). */
  heavy?: number;
}

// A deterministic generator for the heavy blocks' weights.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

const HEAVY_CHANNELS = 32;

/** N blocks of 3x3 Conv + ReLU6 at S/2 whose result is multiplied by 0 and added to the input. */
function heavyBranch(g: GraphBuilder, x: FeatureMap, blocks: number): string {
  const rand = lcg(44);
  const weights = (n: number, fanIn: number) => Float32Array.from({ length: n }, () => rand() * 2 * Math.sqrt(3 / fanIn));
  const c = HEAVY_CHANNELS;
  const relu6 = (f: FeatureMap): FeatureMap => ({ ...f, name: g.op1('Clip', [f.name, g.floats(0), g.floats(6)]) });
  let f = relu6(g.conv(x, { weight: weights(c * 3 * 9, 27), kernel: [3, 3], outChannels: c, strides: [2, 2], pads: [1, 1, 1, 1] }));
  for (let i = 0; i < blocks; i++) {
    f = relu6(g.conv(f, { weight: weights(c * c * 9, c * 9), kernel: [3, 3], outChannels: c, pads: [1, 1, 1, 1] }));
  }
  const mean = g.op1('ReduceMean', [f.name], { axes: [1, 2, 3], keepdims: 1 });
  return g.op1('Add', [x.name, g.op1('Mul', [mean, g.floats(0)])]);
}

/**
 * Soft coverage masks, [N, kits, S, S]. A pixel on the pitch is a mix of grass g and, maybe, a kit
 * colour c: p = g + a (c - g). A 1x1 Conv and the pixel's squared norm give a = (p - g).(c - g) / |c - g|^2 and
 * |p - g|^2, hence the squared distance r^2 = |p - g|^2 - a^2 |c - g|^2 of p from the grass-kit line.
 * mask = ramp(a) x ramp(r^2): a pixel half covered by a kit counts one half, so blob moments (and
 * boxes) stay unbiased at soft edges; colours off the line (other kits, skin, lines) count zero.
 */
function colourMasks(g: GraphBuilder, x: FeatureMap, kits: readonly Kit[]): FeatureMap {
  const K = kits.length;
  // Conv over x: a, and the x-linear part of |p - g|^2 (= |p|^2 - 2 g.p + |g|^2).
  const weight = new Float32Array(2 * K * 3);
  const bias = new Float32Array(2 * K);
  const axisLengthSq: number[] = [];
  kits.forEach((kit, k) => {
    const c = kit.rgb.map((v) => v / 255);
    const grass = grassFor(kit).map((v) => v / 255);
    const axis = c.map((v, i) => v - grass[i]!);
    const lengthSq = axis.reduce((s, v) => s + v * v, 0);
    axisLengthSq.push(lengthSq);
    for (let ch = 0; ch < 3; ch++) {
      weight[k * 3 + ch] = axis[ch]! / lengthSq;
      weight[(K + k) * 3 + ch] = -2 * grass[ch]!;
    }
    bias[k] = -grass.reduce((s, v, i) => s + v * axis[i]!, 0) / lengthSq;
    bias[K + k] = grass.reduce((s, v) => s + v * v, 0);
  });
  const conv = g.pointwise(x, { weight, bias, outChannels: 2 * K });
  const [a, linear] = g.op('Split', [conv.name, g.ints([K, K])], { axis: 1 }, 2) as [string, string];
  const pixelSq = g.op1('ReduceSum', [g.op1('Mul', [x.name, x.name]), g.ints([1])], { keepdims: 1 });
  const distSq = g.op1('Add', [linear, pixelSq]);
  const kitConst = (values: number[]) => g.floats(values, [1, K, 1, 1]);
  const residualSq = g.op1('Sub', [distSq, g.op1('Mul', [g.op1('Mul', [a, a]), kitConst(axisLengthSq)])]);
  const along = ramp(g, a, kitConst(kits.map((k) => coverageFloor(k))), 1);
  const onLine = ramp(g, residualSq, OFF_LINE_FAR ** 2, OFF_LINE_NEAR ** 2);
  return { ...conv, channels: K, name: g.op1('Mul', [along, onLine]) };
}

/** Per-kit constant shaped [1, K, 1, 1] for broadcasting over [N, K, 1, L]. */
function perKit(g: GraphBuilder, kits: readonly Kit[], value: (k: Kit) => number): string {
  return g.floats(kits.map(value), [1, kits.length, 1, 1]);
}

/** clip((z - lo) / (hi - lo), 0, 1) */
function ramp(g: GraphBuilder, z: string, lo: string | number, hi: string | number): string {
  const loName = typeof lo === 'number' ? g.floats(lo) : lo;
  const hiName = typeof hi === 'number' ? g.floats(hi) : hi;
  const t = g.op1('Div', [g.op1('Sub', [z, loName]), g.op1('Sub', [hiName, loName])]);
  return g.op1('Clip', [t, g.floats(0), g.floats(1)]);
}

/** Anchor centres along one axis: stride * i + stride / 2 for i in 0..count-1, as float. */
function axisCentres(g: GraphBuilder, shape: string, axis: number, stride: number): string {
  const count = g.op1('Gather', [shape, g.ints([axis], [])], { axis: 0 });
  const idx = g.op1('Range', [g.ints([0], []), count, g.ints([1], [])]);
  const f = g.op1('Cast', [idx], { to: TensorType.FLOAT });
  return g.op1('Add', [g.op1('Mul', [f, g.floats(stride)]), g.floats(stride / 2)]);
}

/** One window scale: [N, 8, K * L] anchors (cx, cy, w, h, 4 class scores). */
function scaleHead(g: GraphBuilder, allMasks: FeatureMap, allKits: readonly Kit[], spec: ScaleSpec): string {
  const K = spec.kits.length;
  const first = allKits.indexOf(spec.kits[0]!);
  const masksName = g.op1('Slice', [allMasks.name, g.ints([first]), g.ints([first + K]), g.ints([1])]);
  const masks: FeatureMap = { ...allMasks, name: masksName, channels: K };
  const { winW, winH, stride, band } = spec;
  const centred = (i: number, n: number) => i - (n - 1) / 2;

  // Horizontal pass per kit: sum m, sum m*u, sum m*u^2, sum m over the inner columns.
  const hw = new Float32Array(K * 4 * winW);
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < winW; i++) {
      const u = centred(i, winW);
      const base = k * 4 * winW;
      hw[base + i] = 1;
      hw[base + winW + i] = u;
      hw[base + 2 * winW + i] = u * u;
      hw[base + 3 * winW + i] = i >= band && i < winW - band ? 1 : 0;
    }
  }
  const padW = (winW - stride) / 2;
  const rows = g.conv(masks, { weight: hw, kernel: [1, winW], outChannels: 4 * K, strides: [1, stride], pads: [0, padW, 0, padW], group: K });

  // Vertical pass: M, Mu, Mv, Muu, Mvv, Minner from (h0, h1, h2, h3).
  const taps: Array<[number, (v: number, j: number) => number]> = [
    [0, () => 1],
    [1, () => 1],
    [0, (v) => v],
    [2, () => 1],
    [0, (v) => v * v],
    [3, (_v, j) => (j >= band && j < winH - band ? 1 : 0)],
  ];
  const vw = new Float32Array(K * 6 * 4 * winH);
  for (let k = 0; k < K; k++) {
    taps.forEach(([inCh, fn], o) => {
      for (let j = 0; j < winH; j++) vw[((k * 6 + o) * 4 + inCh) * winH + j] = fn(centred(j, winH), j);
    });
  }
  const padH = (winH - stride) / 2;
  const moments = g.conv(rows, {
    weight: vw,
    kernel: [winH, 1],
    outChannels: 6 * K,
    strides: [stride, 1],
    pads: [padH, 0, padH, 0],
    group: K,
  });

  // [N, 6K, H', W'] -> [N, K, 6, L] -> six [N, K, 1, L]
  const shape = g.op1('Shape', [moments.name]);
  const flat = g.op1('Reshape', [moments.name, g.ints([0, K, 6, -1])]);
  const [M, Mu, Mv, Muu, Mvv, Min] = g.op('Split', [flat, g.ints([1, 1, 1, 1, 1, 1])], { axis: 2 }, 6) as [string, string, string, string, string, string];

  // Anchor centres, flattened to match L = H' * W'.
  const gx = g.op1('Unsqueeze', [axisCentres(g, shape, 3, stride), g.ints([0])]); // [1, W']
  const gy = g.op1('Unsqueeze', [axisCentres(g, shape, 2, stride), g.ints([1])]); // [H', 1]
  const zeros = g.op1('Mul', [g.op1('Add', [gx, gy]), g.floats(0)]); // [H', W']
  const gridX = g.op1('Reshape', [g.op1('Add', [zeros, gx]), g.ints([-1])]);
  const gridY = g.op1('Reshape', [g.op1('Add', [zeros, gy]), g.ints([-1])]);

  const mass = g.op1('Max', [M, g.floats(1e-3)]);
  const cu = g.op1('Div', [Mu, mass]);
  const cv = g.op1('Div', [Mv, mass]);
  const variance = (second: string, first: string) =>
    g.op1('Relu', [g.op1('Sub', [g.op1('Div', [second, mass]), g.op1('Mul', [first, first])])]);
  const extent = perKit(g, spec.kits, (k) => shapeOf(k).extent);
  const w = g.op1('Mul', [g.op1('Sqrt', [variance(Muu, cu)]), extent]);
  const h = g.op1('Mul', [g.op1('Sqrt', [variance(Mvv, cv)]), extent]);
  const cx = g.op1('Add', [cu, gridX]);
  const cy = g.op1('Add', [cv, gridY]);

  const area = g.op1('Mul', [g.op1('Mul', [w, h]), perKit(g, spec.kits, (k) => shapeOf(k).fillNorm)]);
  const fill = g.op1('Div', [M, g.op1('Add', [area, g.floats(1e-3)])]);
  const massScore = ramp(g, M, perKit(g, spec.kits, (k) => shapeOf(k).massLo), perKit(g, spec.kits, (k) => shapeOf(k).massHi));
  const fillScore = ramp(g, fill, perKit(g, spec.kits, (k) => shapeOf(k).fill[0]), perKit(g, spec.kits, (k) => shapeOf(k).fill[1]));
  const containScore = ramp(g, g.op1('Sub', [M, Min]), BAND_MASS_FAR, BAND_MASS_NEAR);
  const aspect = g.op1('Div', [h, g.op1('Add', [w, g.floats(1e-3)])]);
  const aspectScore = g.op1('Mul', [
    ramp(g, aspect, perKit(g, spec.kits, (k) => shapeOf(k).aspect[0]), perKit(g, spec.kits, (k) => shapeOf(k).aspect[1])),
    ramp(g, aspect, perKit(g, spec.kits, (k) => shapeOf(k).aspect[3]), perKit(g, spec.kits, (k) => shapeOf(k).aspect[2])),
  ]);
  const product = [massScore, fillScore, containScore, aspectScore].reduce((acc, t) => g.op1('Mul', [acc, t]));
  const score = g.op1('Mul', [product, g.floats(TOP_SCORE)]);

  // Kit k's score goes to its class column: [N, K, 1, L] x one-hot [1, K, 4, 1] -> [N, K, 4, L].
  const oneHot = new Float32Array(K * CLASS_NAMES.length);
  spec.kits.forEach((kit, k) => (oneHot[k * CLASS_NAMES.length + kit.classId] = 1));
  const classScores = g.op1('Mul', [score, g.floats(oneHot, [1, K, CLASS_NAMES.length, 1])]);

  const rowsOut = g.op1('Concat', [cx, cy, w, h, classScores], { axis: 2 }); // [N, K, 8, L]
  const perAnchor = g.op1('Transpose', [rowsOut], { perm: [0, 2, 1, 3] }); // [N, 8, K, L]
  return g.op1('Reshape', [perAnchor, g.ints([0, 4 + CLASS_NAMES.length, -1])]);
}

/** Builds the lab detector: input `images` [N,3,S,S] RGB 0..1, output `output0` [N, 8, A]. */
export function buildLabDetector(options: LabDetectorOptions = {}): LabDetectorModel {
  const heavy = options.heavy ?? 0;
  const g = new GraphBuilder('lab-detector');
  const images = g.input(INPUT_NAME, TensorType.FLOAT, ['batch', 3, 'height', 'width']);
  let x: FeatureMap = { name: images, channels: 3, divH: 1, divW: 1 };
  if (heavy > 0) x = { ...x, name: heavyBranch(g, x, heavy) };
  const kits = [...personKits, ...ballKits];
  const masks = colourMasks(g, x, kits);
  const heads = SCALES.map((spec) => scaleHead(g, masks, kits, spec));
  g.op1('Concat', heads, { axis: 2 }, OUTPUT_NAME);
  g.output(OUTPUT_NAME, TensorType.FLOAT, ['batch', 4 + CLASS_NAMES.length, 'anchors']);
  const doc = `sn44-autotune lab detector (designed weights, heavy=${heavy}); classes: ${CLASS_NAMES.join(', ')}`;
  return {
    bytes: g.encode(LAB_DETECTOR_OPSET, doc),
    macsAt: (size) => g.macsAt(size),
    anchorsAt: (size) => SCALES.reduce((sum, s) => sum + s.kits.length * (size / s.stride) ** 2, 0),
  };
}
