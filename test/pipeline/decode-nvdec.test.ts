// Written for both kinds of host: without NVDEC (this project's machines) the software fallback and
// the refusal are checked; with NVDEC the GPU decoder is checked instead.

import { describe, expect, it } from 'vitest';
import { probeNvdec, startDecoder } from '../../src/pipeline/decode/index.js';
import { testClip } from './decode-fixtures.js';

describe('NVDEC', () => {
  it('is probed by a real one-frame decode, with a reason, and cached', async () => {
    const probe = await probeNvdec();
    expect(probe.reason).toMatch(/cuda/i);
    if (!probe.usable) expect(probe.reason).toMatch(/attempt failed/);
    else expect(probe.decoder).toBe('h264 (nvdec)');
    expect(await probeNvdec()).toBe(probe);
  });

  it('falls back to software with a note when asked for and not usable', async () => {
    const probe = await probeNvdec();
    const decoder = startDecoder({ input: { path: await testClip() }, size: 160, nvdec: true });
    let n = 0;
    for await (const _ of decoder.frames) n++;
    const [info, summary] = await Promise.all([decoder.info, decoder.done]);
    expect(n).toBe(30);
    expect(summary.error).toBeNull();
    if (probe.usable) {
      expect(info?.decoder).toBe('h264 (nvdec)');
      expect(info?.decoderNote).toBeNull();
    } else {
      expect(info?.decoder).toBe('h264 (software)');
      expect(info?.decoderNote).toMatch(/NVDEC requested but not usable, decoding in software: .*cuda/i);
      expect(summary.decoderNote).toBe(info?.decoderNote);
    }
  });

  it('refuses with reason nvdec-unavailable when fallback is off', async () => {
    const probe = await probeNvdec();
    if (probe.usable) return; // nothing to refuse on a host with NVDEC
    const decoder = startDecoder({ input: { path: await testClip() }, size: 160, nvdec: true, nvdecFallback: false });
    let n = 0;
    for await (const _ of decoder.frames) n++;
    const summary = await decoder.done;
    expect(n).toBe(0);
    expect(await decoder.info).toBeNull();
    expect(summary.error?.reason).toBe('nvdec-unavailable');
    expect(summary.error?.message).toMatch(/NVDEC requested but not usable: .*cuda/i);
  });
});
