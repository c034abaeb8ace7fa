import { describe, expect, it } from 'vitest';
import { count, fitTable, formatTable, videoName, wrapWords, type Column } from '../../src/util/format.js';
import { terminalWidth } from '../../src/cli/output.js';

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

describe('fitTable', () => {
  type Row = { name: string; a: string; b: string; note: string };
  const rows: Row[] = [
    { name: 'one', a: '1.000', b: '2.000', note: 'X=1 Y=2 Z=3  [too slow for the floor]' },
    { name: 'two', a: '3.000', b: '4.000', note: 'X=4 Y=5 Z=6' },
  ];
  const columns: Column<Row>[] = [
    { header: 'name', value: (r) => r.name },
    { header: 'a', value: (r) => r.a, align: 'right', dropOrder: 2 },
    { header: 'b', value: (r) => r.b, align: 'right', dropOrder: 1 },
    { header: 'knobs', value: (r) => r.note },
  ];
  const full = formatTable(rows, columns);

  it('is the plain table without a width, or when the table fits', () => {
    expect(fitTable(rows, columns)).toEqual({ text: full, hidden: [], under: null });
    const widest = Math.max(...full.split('\n').map((l) => l.length));
    expect(fitTable(rows, columns, widest)).toEqual({ text: full, hidden: [], under: null });
  });

  it('puts the last column under each row, then hides optional columns, lowest dropOrder first, until the rest fits', () => {
    const under = fitTable(rows, columns, 20);
    expect(under.under).toBe('knobs');
    expect(under.hidden).toEqual([]);
    expect(under.text.split('\n')).toEqual([
      'name      a      b',
      '----  -----  -----',
      'one   1.000  2.000',
      '      X=1 Y=2 Z=3',
      '      [too slow for the floor]',
      'two   3.000  4.000',
      '      X=4 Y=5 Z=6',
    ]);
    expect(fitTable(rows, columns, 12).hidden).toEqual(['b']);
    expect(fitTable(rows, columns, 12).text.split('\n')[0]).toBe('name      a');
    // Columns without a dropOrder stay, even when the terminal is narrower still.
    const narrowest = fitTable(rows, columns, 3);
    expect(narrowest.hidden).toEqual(['a', 'b']);
    expect(narrowest.text.split('\n')[2]).toBe('one');
  });
});

describe('wrapWords', () => {
  it('wraps at spaces, keeps a longer word and a [bracketed note] whole', () => {
    expect(wrapWords('aa bb cc dd', 5)).toEqual(['aa bb', 'cc dd']);
    expect(wrapWords('IMG_SIZE=640 x', 5)).toEqual(['IMG_SIZE=640', 'x']);
    expect(wrapWords('X=1  [accuracy 0.5 < floor]', 10)).toEqual(['X=1', '[accuracy 0.5 < floor]']);
  });
});

describe('terminalWidth', () => {
  it("is the terminal's width, and none for a pipe, a file or --wide", () => {
    const terminal = { isTTY: true, columns: 100 } as NodeJS.WriteStream;
    expect(terminalWidth(false, terminal)).toBe(100);
    expect(terminalWidth(true, terminal)).toBeUndefined();
    expect(terminalWidth(false, { isTTY: false, columns: 0 } as unknown as NodeJS.WriteStream)).toBeUndefined();
  });
});
