// The ground-truth file written beside each clip: every frame's boxes in original pixels.

import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { AutotuneError } from '../../errors.js';
import { CLASS_NAMES } from '../scene/palette.js';

export interface TruthObject {
  /** [x1, y1, x2, y2] in frame pixels, clipped to the frame. */
  bbox: [number, number, number, number];
  classId: number;
}

export interface TruthFrame {
  frameNumber: number;
  objects: TruthObject[];
}

export interface Truth {
  version: 1;
  width: number;
  height: number;
  fps: number;
  frameCount: number;
  classes: string[];
  frames: TruthFrame[];
}

const objectSchema = z.object({
  bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  classId: z.number().int().min(0).max(CLASS_NAMES.length - 1),
});

const truthSchema = z
  .object({
    version: z.literal(1),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    fps: z.number().positive(),
    frameCount: z.number().int().positive(),
    classes: z.array(z.string()),
    frames: z.array(z.object({ frameNumber: z.number().int().min(0), objects: z.array(objectSchema) })),
  })
  .superRefine((t, ctx) => {
    if (t.frames.length !== t.frameCount) {
      ctx.addIssue({ code: 'custom', message: `frameCount is ${t.frameCount} but ${t.frames.length} frames are listed` });
    }
    const badIndex = t.frames.findIndex((f, i) => f.frameNumber !== i);
    if (badIndex >= 0) ctx.addIssue({ code: 'custom', message: `frames[${badIndex}].frameNumber is not ${badIndex}` });
  });

/** Reads and validates a `<name>.truth.json` file. */
export async function readTruth(path: string): Promise<Truth> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new AutotuneError('E_INPUT', `truth file ${path} is not readable JSON`, {
      hint: 'make it again with autotune samples make',
      cause: err,
    });
  }
  const parsed = truthSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AutotuneError('E_INPUT', `truth file ${path} is invalid: ${issue.path.join('.') || '(root)'} ${issue.message}`, {
      hint: 'make it again with autotune samples make',
    });
  }
  return parsed.data as Truth;
}

/** Writes the truth with one frame per line, so files diff and grep well. */
export async function writeTruth(path: string, truth: Truth): Promise<void> {
  const { frames, ...header } = truth;
  const head = JSON.stringify(header).slice(0, -1);
  const body = frames.map((f) => JSON.stringify(f)).join(',\n');
  await writeFile(path, `${head},"frames":[\n${body}\n]}\n`);
}

export function truthPathFor(clipPath: string): string {
  return clipPath.replace(/\.mp4$/, '') + '.truth.json';
}
