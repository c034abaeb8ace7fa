import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

// These assertions describe a host without a GPU (development and CI machines).
describe('autotune doctor', () => {
  it('--json reports no GPU, a usable CPU provider, and why CUDA and NVDEC are not usable', async () => {
    const run = await runCli(['doctor', '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.gpu.present).toBe(false);
    const byName = Object.fromEntries(report.providers.map((p: { name: string }) => [p.name, p]));
    expect(byName.cpu).toMatchObject({ usable: true, reason: null });
    expect(byName.cuda.usable).toBe(false);
    expect(byName.cuda.reason).toMatch(/shared library/);
    expect(report.nvdec.usable).toBe(false);
    expect(report.nvdec.reason.length).toBeGreaterThan(10);
    expect(report.ffmpeg.path).toBeTruthy();
    expect(report.ffmpeg.version).toBeTruthy();
    // It runs and decodes; NVDEC is then tried for real (broken-decoder.test.ts has the other cases).
    expect(report.ffmpeg).toMatchObject({ error: null, fix: null });
    if (!report.nvdec.usable) expect(report.nvdec.reason).toMatch(/one-frame CUDA decode attempt failed/);
    expect(report.versions.sqlite).toMatch(/^3\./);
    expect(report.versions.node).toBe(process.versions.node);
    expect(report.tcp.availableCongestionControl).toEqual(expect.arrayContaining([report.tcp.congestionControl]));
  });

  it('prints a human table by default', async () => {
    const run = await runCli(['doctor']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/NVDEC decode\s+no/);
    expect(run.stdout).toMatch(/onnxruntime cpu\s+yes/);
    expect(run.stdout).toMatch(/onnxruntime cuda\s+no/);
  });
});
