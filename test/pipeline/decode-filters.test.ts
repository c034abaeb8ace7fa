import { describe, expect, it } from 'vitest';
import { buildFfmpegArgs, buildFilterChain, parseVideoStreamLine } from '../../src/pipeline/decode/index.js';
import { letterbox } from '../../src/pipeline/letterbox.js';
import { classifyExit } from '../../src/pipeline/decode/classify.js';

describe('parseVideoStreamLine', () => {
  it('reads codec, size and fps from ffmpeg 4 and 5 stream lines', () => {
    expect(
      parseVideoStreamLine(
        '    Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 1280x720 [SAR 1:1 DAR 16:9], 4012 kb/s, 25 fps, 25 tbr, 12800 tbn, 50 tbc (default)',
      ),
    ).toEqual({ codec: 'h264', width: 1280, height: 720, fps: 25 });
    expect(
      parseVideoStreamLine(
        '  Stream #0:0[0x1](und): Video: hevc (Main) (hvc1 / 0x31637668), yuv420p(tv, progressive), 1920x1080, 29.97 fps, 29.97 tbr, 30k tbn (default)',
      ),
    ).toEqual({ codec: 'hevc', width: 1920, height: 1080, fps: 29.97 });
    expect(parseVideoStreamLine('  Stream #0:1(und): Audio: aac (LC), 48000 Hz, stereo')).toBeNull();
  });
});

describe('buildFilterChain', () => {
  const lb = letterbox(1280, 720, 640);

  it('scales, converts to rgb24 and then pads with grey 114', () => {
    expect(buildFilterChain({ size: 640, stride: 1, letterbox: lb, gpu: 'none' })).toBe(
      'scale=w=640:h=360:flags=bilinear,format=rgb24,pad=640:640:0:140:color=0x727272',
    );
  });

  it('selects every Nth frame first', () => {
    expect(buildFilterChain({ size: 640, stride: 3, letterbox: lb, gpu: 'none' })).toMatch(/^select='not\(mod\(n,3\)\)',scale=/);
  });

  it('uses stream-relative expressions when the source size is unknown', () => {
    const chain = buildFilterChain({ size: 640, stride: 1, letterbox: null, gpu: 'none' });
    expect(chain).toContain("w='min(640,2*round(iw*min(640/iw,640/ih)/2))'");
    expect(chain).toContain("pad=640:640:'(ow-iw)/2':'(oh-ih)/2'");
  });

  it('downloads GPU frames before the CPU filters, or scales on the GPU first', () => {
    expect(buildFilterChain({ size: 640, stride: 1, letterbox: lb, gpu: 'hwdownload' })).toMatch(
      /^hwdownload,format=nv12,scale=w=640:h=360/,
    );
    expect(buildFilterChain({ size: 640, stride: 2, letterbox: lb, gpu: 'scale_cuda' })).toMatch(
      /^select='not\(mod\(n,2\)\)',scale_cuda=w=640:h=360,hwdownload,format=nv12,format=rgb24,pad=/,
    );
  });
});

describe('buildFfmpegArgs', () => {
  it('reads stdin for a stream and asks for cuda frames only on the GPU path', () => {
    const cpu = buildFfmpegArgs({ path: null, filter: 'x', gpu: 'none' });
    expect(cpu).toContain('pipe:0');
    expect(cpu).not.toContain('-hwaccel');
    expect(cpu.slice(-5)).toEqual(['-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    const gpu = buildFfmpegArgs({ path: '/v.mp4', filter: 'x', gpu: 'hwdownload', threads: 2 });
    expect(gpu.join(' ')).toContain('-threads 2 -hwaccel cuda -hwaccel_output_format cuda -noautorotate -i /v.mp4');
    expect(gpu.join(' ')).toContain('-filter_threads 2 -vsync passthrough -f rawvideo -pix_fmt rgb24 pipe:1');
  });
});

describe('classifyExit', () => {
  const base = {
    framesOut: 0,
    exitCode: 1,
    stopped: null,
    moovNotFound: false,
    partialFile: false,
    invalidData: false,
    streamSeen: true,
    prefixLike: true,
    gpu: false,
    lastErrorLine: null,
    head: null,
    inputBytes: 1000,
    label: 'clip.mp4',
  } as const;

  it('keeps frames produced before a failing exit (a cut input)', () => {
    expect(classifyExit({ ...base, framesOut: 12, exitCode: 1, partialFile: true }).error).toBeNull();
  });

  it('never fails a stopped decode', () => {
    expect(classifyExit({ ...base, stopped: 'stop', moovNotFound: true }).error).toBeNull();
  });

  it('names a missing moov for a stream or prefix, and a decode failure for a whole file', () => {
    expect(classifyExit({ ...base, moovNotFound: true }).error?.reason).toBe('moov-not-in-prefix');
    const whole = classifyExit({ ...base, moovNotFound: true, prefixLike: false });
    expect(whole).toMatchObject({ moovMissing: true, error: { reason: 'decode' } });
  });

  it('blames NVDEC for a GPU decode that failed on the device', () => {
    const r = classifyExit({ ...base, gpu: true, lastErrorLine: 'Device creation failed: -542398533.' });
    expect(r.error?.reason).toBe('nvdec-unavailable');
  });

  it('says when the input ended before a whole frame', () => {
    expect(classifyExit({ ...base, exitCode: 0 }).error?.message).toBe('clip.mp4 (1000 bytes) ended before its first whole frame');
  });
});
