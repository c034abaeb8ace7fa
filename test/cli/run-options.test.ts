import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStorage } from '../../src/store/index.js';
import { refusal, runCli } from '../helpers/cli.js';
import { PLANTED_SPACE, writePlanted } from '../replay/fixtures/planted.js';

const dir = mkdtempSync(join(tmpdir(), 'autotune-run-opts-'));

describe('autotune run: options and failing studies', () => {
  it('rejects a bad command line with one line and exit code 2', async () => {
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '# nothing here\n');
    const cases: [string[], RegExp][] = [
      [['run', '--space', 'search-spaces/quick.yaml'], /no sample videos given/],
      [['run', '--url', 'https://a/b.mp4', '--samples', dir], /use only one of --url, --samples/],
      [['run', '--urls-file', empty], /lists no URL/],
      [['run', '--url', 'ftp://a/b.mp4'], /not an http\(s\) URL/],
      [['run', '--url', 'https://a/b.mp4', '--repeats', '0'], /--repeats must be an integer >= 1/],
      [['run', '--url', 'https://a/b.mp4', '--accuracy-floor', '1.5'], /--accuracy-floor must be in/],
      [['run', '--url', 'https://a/b.mp4', '--time-limit', 'soon'], /--time-limit "soon" is not a duration/],
      [['run', '--url', 'https://a/b.mp4', '--max-detectors', '0'], /--max-detectors must be an integer >= 1, got 0/],
      [['run', '--samples', dir, '--profile', 'wifi', '--db', join(dir, 'never.db')], /unknown link profile "wifi" \(use one of: /],
      [['run', '--url', 'https://a/b.mp4', '--trials', 'abc'], /--trials must be an integer >= 0, got something that is not a number/],
      [['run', '--url', 'https://a/b.mp4', '--trials', '6', '--trials', '5'], /--trials must be an integer >= 0, got 6 and 5 \(the flag is given 2 times: give it once\)/],
    ];
    for (const [args, pattern] of cases) {
      const run = await refusal(args);
      expect(run.exitCode, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr).toMatch(pattern);
    }
    expect(existsSync(join(dir, 'never.db'))).toBe(false);
  });

  it('says which measuring settings a resumed study changes, and nothing when they are the same', async () => {
    const table = writePlanted(join(dir, 'planted.csv'));
    const db = join(dir, 'resume.db');
    const base = ['run', '--evaluator', 'replay', '--table', table, '--space', PLANTED_SPACE, '--db', db, '--accuracy-floor', '0.9'];
    const first = await runCli([...base, '--trials', '3', '--confirm-repeats', '1']);
    expect(first.exitCode, first.stderr).toBe(0);
    const same = await runCli([...base, '--trials', '3', '--confirm-repeats', '1']);
    expect(same.stdout).toMatch(/resuming study planted/);
    expect(same.stdout).not.toMatch(/note: this run measures with/);
    const changed = await runCli([...base, '--confirm-repeats', '3', '--sampler', 'random', '--trials', '4']);
    expect(changed.exitCode, changed.stderr).toBe(0);
    expect(changed.stdout).toMatch(/^note: this run measures with --sampler random \(was tpe\), --confirm-repeats 3 \(was 1\); what was measured before keeps its figures$/m);
  });

  it("refuses to resume a study whose space now has another reference config, and names the space's other edits", async () => {
    const table = writePlanted(join(dir, 'planted-edited.csv'));
    const space = join(dir, 'planted-edited.yaml');
    const original = readFileSync(PLANTED_SPACE, 'utf8');
    writeFileSync(space, original);
    const db = join(dir, 'edited.db');
    const base = ['run', '--evaluator', 'replay', '--table', table, '--space', space, '--db', db, '--accuracy-floor', '0.9', '--trials', '3', '--confirm-repeats', '0'];
    const first = await runCli(base);
    expect(first.exitCode, first.stderr).toBe(0);
    const trials = (await runCli(['trials', '--db', db, '--json'])).stdout;

    writeFileSync(space, original.replace('reference:\n  SIZE: 640', 'reference:\n  SIZE: 480'));
    const refused = await runCli(base);
    expect(refused.stderr.trim()).toBe(
      `autotune: study "planted" measured accuracy against another reference config: ${space} now has SIZE 480 (was 640) ` +
        "(put the space's reference: back as it was to resume it (each trial's accuracy compares with the answers of the reference it was measured against), or pass another --study name)",
    );
    expect(refused.exitCode).toBe(2);
    expect((await runCli(['trials', '--db', db, '--json'])).stdout).toBe(trials);
    const startBefore = await storedStartDefault(db);

    // The same file with an edited knob and description: resumed, the knob named, the description not.
    writeFileSync(space, original.replace(/(START:\n\s+type: categorical\n\s+choices: \[1, 2\]\n\s+)default: 1/, '$1default: 2').replace('  SIZE:\n', '  SIZE:\n    description: input size\n'));
    expect(readFileSync(space, 'utf8')).not.toBe(original);
    const edited = await runCli(base);
    expect(edited.exitCode, edited.stderr).toBe(0);
    expect(edited.stdout).toMatch(/resuming study planted/);
    expect(edited.stdout).toContain(`note: ${space} changed since the study's last run (knob START): its trials keep their configs and figures; the search goes on in the space as the file is now`);
    // The study's record follows the file (emit and the report read it), and the refused run left it as it was.
    expect(startBefore).toBe(1);
    expect(await storedStartDefault(db)).toBe(2);
  });

  it('names a missing --samples folder', async () => {
    const run = await runCli(['run', '--samples', join(dir, 'missing')]);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/--samples .*missing is not a folder/);
  });

  it('names a missing model', async () => {
    const run = await runCli(['run', '--url', 'https://a/b.mp4', '--model', join(dir, 'none.onnx')]);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/model .*none\.onnx does not exist \(make the lab model with `autotune model make`/);
  });

  it('a study whose every challenge fails ends with a counted report and a non-zero exit, no stack trace', async () => {
    const db = join(dir, 'fail.db');
    // Nothing listens on port 9 of the loopback: every download fails to connect.
    const run = await runCli([
      'run', '--url', 'http://127.0.0.1:9/clip.mp4', '--space', 'search-spaces/quick.yaml', '--db', db,
      '--trials', '1', '--repeats', '1', '--confirm-repeats', '0', '--device', 'cpu',
    ]);
    expect(run.exitCode).toBe(8);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stderr).toMatch(/found no usable config: every trial failed \(4 trials, 4\/4 challenges failed\)/);
    expect(run.stderr).toMatch(/failure reasons: connect x4/);
    const storage = await openStorage(db);
    const study = (await storage.getStudy('quick'))!;
    expect((await storage.listTrials(study.id)).map((t) => t.state)).toEqual(['FAIL', 'FAIL', 'FAIL', 'FAIL']);
    await storage.close();

    // Resumed with another space: refused before its first video is probed or checked (that check
    // would fail to connect here and exit 3).
    const other = await runCli([
      'run', '--url', 'http://127.0.0.1:9/clip.mp4', '--space', 'search-spaces/sn44.yaml', '--study', 'quick', '--db', db, '--trials', '1', '--device', 'cpu',
    ]);
    expect(other.exitCode, other.stderr).toBe(2);
    expect(other.stderr.trim()).toBe(
      'autotune: study "quick" searches search-spaces/quick.yaml, not search-spaces/sn44.yaml (pass the same --space to resume it, or another --study name)',
    );
    expect(other.stdout).not.toMatch(/network/);
  });

  it('refuses a --control that is not a baseline before probing the host or reading the model', async () => {
    const db = join(dir, 'control.db');
    const run = await runCli(['run', '--url', 'http://127.0.0.1:9/clip.mp4', '--space', 'search-spaces/quick.yaml', '--control', 'FAST', '--db', db]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toMatch(/^autotune: --control FAST is not a baseline of search-spaces\/quick\.yaml \(use one of [A-Za-z-]+(, [A-Za-z-]+)*, or --control none\)$/);
    // Nothing was probed (the CUDA fallback note, the model's fit) and no store was made.
    expect(run.stdout).toBe('');
    expect(existsSync(db)).toBe(false);
    // From a folder without the package's search-spaces/ (a miner's, an installed CLI's): the default
    // space is the built-in one, recorded under its usual name.
    // (The refusal comes before the model is read: any file passes for one.)
    writeFileSync(join(dir, 'unread.onnx'), '');
    const elsewhere = await runCli(['run', '--url', 'http://127.0.0.1:9/clip.mp4', '--control', 'FAST', '--db', db, '--model', 'unread.onnx'], { cwd: dir });
    expect(elsewhere.stderr.trim()).toMatch(/^autotune: --control FAST is not a baseline of search-spaces\/sn44\.yaml \(use one of /);
    expect(elsewhere.exitCode).toBe(2);
  });

  it('refuses a space with a knob the pipeline does not know, in one line naming the file, line, knob and nearest name, before any trial', async () => {
    const space = join(dir, 'typo.yaml');
    writeFileSync(space, 'name: typo\nparams:\n  FRAME_STRIDE: { type: int, low: 1, high: 2 }\n  IMG_SIZ: {type: int, low: 1, high: 2}\nreference: { FRAME_STRIDE: 1, IMG_SIZ: 2 }\n');
    const db = join(dir, 'typo.db');
    const run = await runCli(['run', '--url', 'http://127.0.0.1:9/clip.mp4', '--space', space, '--db', db, '--trials', '1', '--device', 'cpu']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(`autotune: ${space}:4: params.IMG_SIZ: unknown knob "IMG_SIZ", did you mean IMG_SIZE? (the built-in pipeline understands PARTIAL_DOWNLOAD,`);
    expect(run.stdout).toBe('');
    // Refused before the store was opened: no study, no trial.
    expect(existsSync(db)).toBe(false);
  });
});

/** The default of the planted space's START knob as the study in `db` records it. */
async function storedStartDefault(db: string): Promise<unknown> {
  const storage = await openStorage(db);
  try {
    const space = (await storage.getStudy('planted'))!.space as { params: { name: string; default?: unknown }[] };
    return space.params.find((p) => p.name === 'START')!.default;
  } finally {
    await storage.close();
  }
}
