// Reading a replay table, and fitting it to the space it is replayed on: every malformed table is one
// E_INPUT line naming the file, the row and the column.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAutotuneError } from '../../src/errors.js';
import { fitTable } from '../../src/replay/fit.js';
import { parseReplayTable, readReplayTable } from '../../src/replay/read.js';
import { loadSpace } from '../../src/search/index.js';
import { runCli } from '../helpers/cli.js';
import { CONFIGS, PLANTED_SPACE, plantedTable, VIDEOS } from './fixtures/planted.js';

const dir = mkdtempSync(join(tmpdir(), 'autotune-replay-table-'));
const space = loadSpace(PLANTED_SPACE);

/** The E_INPUT message that reading (and fitting) the text gives. */
function problem(text: string): string {
  try {
    fitTable(parseReplayTable(text, 'bad.csv'), space);
  } catch (err) {
    if (!isAutotuneError(err, 'E_INPUT')) throw err;
    expect(err.toLine()).not.toContain('\n');
    return err.message;
  }
  throw new Error('the table was accepted');
}

const header = (text: string) => text.split('\n')[0]!.split(',');
/** Drops a column from the header and every row. */
const withoutColumn = (name: string) => {
  const text = plantedTable();
  const i = header(text).indexOf(name);
  return text.split('\n').map((line) => (line ? line.split(',').filter((_, j) => j !== i).join(',') : line)).join('\n');
};
/** Sets one cell of data row `index` (0-based; it is file row index + 2). */
const withCell = (index: number, column: string, value: string) => {
  const i = header(plantedTable()).indexOf(column);
  return plantedTable((cells, k) => (k === index ? cells.map((c, j) => (j === i ? value : c)) : cells));
};

describe('replay table', () => {
  it('reads the planted table: knob columns, measures, optional columns, videos in order', () => {
    const table = parseReplayTable(plantedTable(), 'planted.csv');
    expect(table.knobs).toEqual(['SIZE', 'STREAM', 'START', 'POOL']);
    expect(table.extras).toEqual(['phase', 'reason', 'sn44_quality']);
    expect(table.videos).toEqual(VIDEOS);
    expect(table.rows).toHaveLength(CONFIGS.length * 2 * 3);
    expect(table.rows[0]).toMatchObject({ row: 2, cells: ['320', '0', '', '1'], video: 'clip-a', repeat: 1, total: 3.1, accuracy: 0.9, failed: false, phase: 'search' });
    const index = fitTable(table, space);
    expect(index.cells.size).toBe(CONFIGS.length);
    expect([...index.configs.values()]).toContainEqual({ SIZE: 480, STREAM: 1, START: 2, POOL: 1 });
  });

  it('reads a table with only the contract columns, quoted cells and CRLF line ends', () => {
    const text = 'SIZE,STREAM,START,POOL,video,repeat,total_s,accuracy,coverage,failed\r\n640,0,,1,"https://h/v.mp4?a=1,2",1,2.5,,,0\r\n640,1,2,1,"https://h/v.mp4?a=1,2",1,,,,1\r\n';
    const table = parseReplayTable(text, 'min.csv');
    expect(table.extras).toEqual([]);
    expect(table.videos).toEqual(['https://h/v.mp4?a=1,2']);
    expect(table.rows[0]).toMatchObject({ total: 2.5, accuracy: null, coverage: null, phase: '', reason: null, sn44Quality: null });
    expect(table.rows[1]).toMatchObject({ total: null, failed: true });
    expect(fitTable(table, space).cells.size).toBe(2);
  });

  it('ignores blanks around cells, as the format says', () => {
    const spaced = parseReplayTable(plantedTable((c, k) => (k === 0 ? c.map((cell) => ` ${cell} `) : c)), 'spaced.csv');
    const plain = parseReplayTable(plantedTable(), 'plain.csv');
    expect(spaced.rows[0]).toEqual({ ...plain.rows[0], row: 2 });
    expect(spaced.videos).toEqual(VIDEOS);
  });

  it.each([
    ['a missing column', () => withoutColumn('coverage'), /^replay table bad\.csv row 1, column coverage: missing$/],
    ['a measure column out of order', () => plantedTable().replace('accuracy,coverage', 'coverage,accuracy'), /row 1, column accuracy: out of place/],
    ['a column the format does not have', () => plantedTable().replace('sn44_quality', 'notes'), /row 1, column notes: not a column of the replay format/],
    ['a column twice', () => plantedTable().replace('phase,reason', 'phase,phase'), /row 1, column phase: the column appears twice/],
    ['a non-number time', () => withCell(3, 'total_s', 'fast'), /^replay table bad\.csv row 5, column total_s: "fast" is not a number$/],
    ['a time written as NaN', () => withCell(0, 'total_s', 'NaN'), /row 2, column total_s: "NaN" is not a number/],
    ['a successful challenge without a time', () => withCell(1, 'total_s', ''), /row 3, column total_s: empty, but the challenge did not fail/],
    ['an accuracy above 1', () => withCell(7, 'accuracy', '1.5'), /row 9, column accuracy: 1\.5 is outside 0\.\.1/],
    ['a repeat that is not a whole number', () => withCell(2, 'repeat', '1.5'), /row 4, column repeat: "1\.5" is not a whole number >= 1/],
    ['failed that is not 0 or 1', () => withCell(4, 'failed', 'yes'), /row 6, column failed: "yes" is not 0 or 1/],
    ['an empty video', () => withCell(5, 'video', ''), /row 7, column video: empty/],
    ['a row with a cell too many', () => plantedTable((c, k) => (k === 10 ? [...c, 'x'] : c)), /row 12: 14 cells, but the header has 13 columns/],
    ['a knob value outside the space', () => withCell(6, 'SIZE', '999'), /^replay table bad\.csv row 8, column SIZE: 999 is not one of 320, 480, 640 in space planted$/],
    ['a knob value that is no number', () => withCell(6, 'SIZE', 'big'), /row 8, column SIZE: "big" is not one of 320, 480, 640/],
    ['a bool knob outside 0/1', () => withCell(0, 'STREAM', '2'), /row 2, column STREAM: 2 is not one of 0, 1/],
    ['a conditional knob set where it is inactive', () => withCell(0, 'START', '2'), /row 2, column START: set, but START is not searched in this config/],
    ['an active knob left empty', () => withCell(8, 'START', ''), /row 10, column START: empty, but START is searched in this config/],
    ['a fixed knob with another value', () => withCell(2, 'POOL', '0'), /row 4, column POOL: "0" differs from the space's fixed value 1/],
    ['a knob column the space does not have', () => plantedTable().replace('POOL,', 'POOL,EXTRA,').replace(/\n(.*?),1,clip/g, '\n$1,1,,clip'), /row 1, column EXTRA: not a knob of space planted/],
    ['a header only', () => `${header(plantedTable()).join(',')}\n`, /bad\.csv: no rows after the header/],
    ['no knob columns', () => 'video,repeat,total_s,accuracy,coverage,failed\nv,1,1,1,1,0\n', /row 1: no knob columns before video/],
    ['a knob column that is no variable name', () => plantedTable().replace('SIZE,', 'size,'), /row 1, column size: not a knob name/],
    ['an unterminated quote', () => `${plantedTable()}640,0,,1,"clip-a,1,2,1,1,0,search,,1\n`, /bad\.csv row \d+: not a CSV file/],
  ])('refuses %s with one line naming the file, row and column', (_what, make, expected) => {
    expect(problem(make())).toMatch(expected);
  });

  it('names a file that cannot be read', () => {
    expect(() => readReplayTable(join(dir, 'missing.csv'))).toThrow(/cannot read replay table .*missing\.csv/);
  });

  it('autotune run --evaluator replay prints a malformed table as one line and exits 2, before any study exists', async () => {
    const table = join(dir, 'bad.csv');
    writeFileSync(table, withCell(3, 'total_s', 'fast'));
    const db = join(dir, 'bad.db');
    const run = await runCli(['run', '--evaluator', 'replay', '--table', table, '--space', PLANTED_SPACE, '--db', db]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([`autotune: replay table ${table} row 5, column total_s: "fast" is not a number (see docs/replay-table.md: the knob columns, then video, repeat, total_s, accuracy, coverage, failed)`]);

    writeFileSync(table, withCell(6, 'SIZE', '999'));
    const fit = await runCli(['run', '--evaluator', 'replay', '--table', table, '--space', PLANTED_SPACE, '--db', db]);
    expect(fit.exitCode).toBe(2);
    expect(fit.stderr.trim().split('\n')).toHaveLength(1);
    expect(fit.stderr).toContain(`replay table ${table} row 8, column SIZE: 999 is not one of 320, 480, 640`);

    // A misspelt knob in the table's header: the line says the name may be wrong there, not only in the space.
    writeFileSync(table, plantedTable().replace('SIZE,', 'SIZ,'));
    const header = await runCli(['run', '--evaluator', 'replay', '--table', table, '--space', PLANTED_SPACE, '--db', db]);
    expect(header.exitCode).toBe(2);
    expect(header.stderr.trim().split('\n')).toHaveLength(1);
    expect(header.stderr).toMatch(/unknown knob "SIZE", did you mean SIZ\?/);
    expect(header.stderr).toContain(`the names in the header of ${table}: fix the name there or here, or remove the knob`);
    expect(existsSync(db)).toBe(false);
  }, 60_000);
});
