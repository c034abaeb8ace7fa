import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('autotune CLI', () => {
  it('prints help and exits 0', async () => {
    const run = await runCli(['--help']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('autotune <command>');
  });

  it('rejects an unknown command with one line and a non-zero exit', async () => {
    const run = await runCli(['no-such-command']);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^autotune: /);
  });
});
