// The README's main command, scaled down: the demo from nothing (clips made here) to emitted files.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('autotune demo', () => {
  it('makes clips, runs a short study on the lab server, prints the top trials and leaves every file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autotune-demo-'));
    const out = join(dir, 'out');
    const samples = join(dir, 'samples');
    const run = await runCli([
      'demo', '--out', out, '--samples', samples, '--frames', '12', '--trials', '2', '--repeats', '1', '--time-limit', '5m',
      // Twelve frames leave the floor to chance; the test is of the demo's steps, not of the space.
      '--accuracy-floor', '0.5',
      // From a fresh folder, as an installed CLI runs: the space is the package's, the model is made here.
    ], { cwd: dir });
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('made the lab detector models/lab-detector.onnx');
    expect(existsSync(join(dir, 'models/lab-detector.onnx'))).toBe(true);
    expect(run.stdout).toContain(`making 2 lab clip(s) of 12 frames`);
    expect(run.stdout).toMatch(/serving 2 sample\(s\) from .* \(profile fork\)/);
    expect(run.stdout).toMatch(/top trials:\nrank/);
    expect(run.stdout).toMatch(/winner: trial \d+.*\nmeasured by the built-in pipeline .*a proxy for what a validator measures/);
    for (const file of ['best.env', 'sysctl.conf', 'apply-sysctl.sh', 'revert-sysctl.sh', 'summary.json', 'report.html', 'autotune.db']) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    for (const file of ['best.env', 'report.html']) expect(run.stdout).toContain(join(out, file));
    expect(run.stdout).toContain(`autotune apply --miner-dir ~/sn44-miner --env ${out}/best.env --space search-spaces/quick.yaml`);
    // The printed apply command accepts the winner: every value is a knob of the demo's space, in range.
    const minerDir = mkdtempSync(join(tmpdir(), 'demo-miner-'));
    const dry = await runCli(['apply', '--miner-dir', minerDir, '--env', join(out, 'best.env'), '--space', 'search-spaces/quick.yaml'], { cwd: dir });
    expect(dry.stderr).toBe('');
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toContain('dry run: nothing was changed');
    expect(existsSync(join(samples, 'match-1.mp4')) && existsSync(join(samples, 'match-2.mp4'))).toBe(true);
    const sourced = await execa('bash', ['-c', `set -eu; source ${JSON.stringify(join(out, 'best.env'))}; echo "$IMG_SIZE"`]);
    expect(['320', '480', '640']).toContain(sourced.stdout);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.study.name).toBe('demo');
    expect(summary.winner.feasible).toBe(true);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('data-chart="time-accuracy"');
  }, 600_000);
});
