// vitest globalSetup: the lab detector at models/lab-detector.onnx, made before any test file runs
// when the checkout lacks it (a clean clone). Tests read it by its default path, and files run in
// any order: a clean clone without vitest's cache orders them by size.

import { existsSync } from 'node:fs';
import { DEFAULT_MODEL_PATH, makeLabDetector } from '../../src/lab/model/index.js';

export default async function setup(): Promise<void> {
  if (!existsSync(DEFAULT_MODEL_PATH)) await makeLabDetector();
}
