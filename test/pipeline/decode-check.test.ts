// The decoder check on real binaries: the ffmpeg this host uses passes; programs that are not ffmpeg,
// or cannot be started at all, fail with what happened (the CLI cases are in test/cli/broken-decoder).
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDecoder } from '../../src/pipeline/decode/check.js';
import { resolveFfmpeg } from '../../src/util/ffmpeg.js';

const dir = mkdtempSync(join(tmpdir(), 'autotune-decode-check-'));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('checkDecoder', () => {
  it('passes the ffmpeg this host uses, by a real decode of the embedded clip, once per binary', async () => {
    const bin = resolveFfmpeg();
    const check = await checkDecoder(bin);
    expect(check).toMatchObject({ ok: true, line: `decoder: ffmpeg ${check.version} (${bin.source}: ${bin.path}) decodes H.264` });
    expect(checkDecoder(bin)).toBe(checkDecoder(bin));
  });

  it.each([
    ['a program that prints no ffmpeg version', () => script('quiet', 'exit 0'), '`-version` printed no "ffmpeg version" line (nothing at all): it is not ffmpeg'],
    ['a program that prints something else', () => script('other', 'echo "usage: other [-x]"'), '`-version` printed no "ffmpeg version" line, only "usage: other [-x]": it is not ffmpeg'],
    ['a folder', () => { const path = join(dir, 'folder'); mkdirSync(path); return path; }, 'it could not be started (EACCES)'],
  ])('fails %s as "cannot run"', async (_what, make, detail) => {
    const check = await checkDecoder({ path: make(), source: 'PATH' });
    expect(check).toMatchObject({ ok: false, failed: 'run', version: null, problem: 'cannot run', detail, summary: `cannot run: ${detail}` });
  });

  it('fails a program that claims a version but gives no frames as "cannot decode H.264"', async () => {
    const path = script('liar', 'echo "ffmpeg version 9.9 Copyright"');
    const check = await checkDecoder({ path, source: 'FFMPEG_PATH' });
    expect(check).toMatchObject({ ok: false, failed: 'decode', version: '9.9', problem: 'cannot decode H.264' });
    expect(check.ok || check.detail).toBe('a 3-frame 256x144 H.264 test clip gave no frame (exit 0)');
  });
});
