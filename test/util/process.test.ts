import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { processRuns } from '../../src/util/process.js';

describe('processRuns', () => {
  it('is true for a running process and false once it has exited', async () => {
    expect(processRuns(process.pid)).toBe(true);
    const child = execa(process.execPath, ['-e', '0']);
    const pid = child.pid!;
    await child;
    expect(processRuns(pid)).toBe(false);
  });

  it('is false for what is not a pid, though kill(0) and kill(-1) would succeed', () => {
    for (const pid of [0, -1, Number.NaN, 1.5]) expect(processRuns(pid), String(pid)).toBe(false);
  });
});
