// What a user reads when --model points at something that is not a usable detector: the path, what
// is wrong with it in plain words, and what to do (no onnxruntime source locations, no empty shapes).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder, TensorType } from '../../src/lab/model/index.js';
import { openDetector, releaseSessions } from '../../src/pipeline/infer/index.js';

const dir = mkdtempSync(join(tmpdir(), 'model-messages-'));
afterAll(() => releaseSessions());

const open = (modelPath: string) => openDetector({ modelPath, device: 'cpu', imgSize: 224 });

describe('a model that cannot be used', () => {
  it('a folder: says it is a folder, not that it is missing', async () => {
    const folder = join(dir, 'best.onnx');
    mkdirSync(folder);
    await expect(open(folder)).rejects.toThrow(`model ${folder} is a folder, not an ONNX file`);
    await expect(open(join(dir, 'missing.onnx'))).rejects.toThrow(`model file ${join(dir, 'missing.onnx')} not found`);
  });

  it('an empty file: says it is empty', async () => {
    const empty = join(dir, 'empty.onnx');
    writeFileSync(empty, '');
    await expect(open(empty)).rejects.toMatchObject({ code: 'E_MODEL_LOAD', message: `model file ${empty} is empty (0 bytes)` });
  });

  it("onnxruntime's reason without its source location and C++ signature", async () => {
    const graphless = join(dir, 'graphless.onnx');
    writeFileSync(graphless, Buffer.from([0x08, 0x07])); // ModelProto { ir_version: 7 } and nothing else
    const err = (await open(graphless).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(new RegExp(`^cannot load model ${graphless}: .*ModelProto does not have a graph`));
    expect(err.message).not.toMatch(/onnxruntime_src|onnxruntime::|\.cc:\d+/);
  });

  it('an input with unnamed dynamic dims: shown as ?, not as empty', async () => {
    const g = new GraphBuilder('flat');
    const x = g.input('images', TensorType.FLOAT, ['', '']);
    g.op1('Identity', [x], undefined, 'output0');
    g.output('output0', TensorType.FLOAT, ['', '']);
    const flat = join(dir, 'flat.onnx');
    writeFileSync(flat, g.encode(17));
    await expect(open(flat)).rejects.toThrow(`model ${flat}: input images has shape [?, ?]; an image input is [N,3,S,S]`);
  });
});
