import { describe, expect, it } from 'vitest';
import { count, videoName } from '../../src/util/format.js';

describe('count', () => {
  it('writes the noun singular for one, plural otherwise', () => {
    expect([0, 1, 2].map((n) => count(n, 'challenge'))).toEqual(['0 challenges', '1 challenge', '2 challenges']);
  });
});

describe('videoName', () => {
  it("gives a URL's file name without its query, and a name that is not a URL as its last segment", () => {
    expect(videoName('https://127.0.0.1:4433/match-1.mp4')).toBe('match-1.mp4');
    expect(videoName('https://cdn.example/chunks/clip-7.mp4?X-Amz-Signature=abc123')).toBe('clip-7.mp4');
    expect(videoName('tables/match-2.mp4')).toBe('match-2.mp4');
    expect(videoName('match-3')).toBe('match-3');
  });
});
