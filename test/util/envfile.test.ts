import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { EnvParseError, formatEnvLine, formatEnvValue, parseEnv, readEnvFile } from '../../src/util/envfile.js';
import { isAutotuneError } from '../../src/errors.js';

describe('parseEnv', () => {
  it('reads KEY=VALUE and export KEY=VALUE lines, skipping comments and blanks', () => {
    const env = parseEnv(['# miner settings', '', 'IMG_SIZE=640', 'export BATCH_SIZE=32', '   # indented comment'].join('\n'));
    expect(env.values).toEqual({ IMG_SIZE: '640', BATCH_SIZE: '32' });
    expect(env.entries.map((e) => [e.key, e.line, e.exported])).toEqual([
      ['IMG_SIZE', 3, false],
      ['BATCH_SIZE', 4, true],
    ]);
  });

  it('strips a trailing comment after whitespace from unquoted values and keeps # inside words', () => {
    const env = parseEnv('A=1 # one\nB=x#y\nC=#z\nD=  spaced value  # c');
    expect(env.values).toEqual({ A: '1', B: 'x#y', C: '#z', D: 'spaced value' });
  });

  it('takes single quotes literally and unescapes sh escapes in double quotes', () => {
    const env = parseEnv(`A='a "b" $HOME \\n'\nB="say \\"hi\\" \\\\ \\$HOME \\n"\nC="" # empty\nD=`);
    expect(env.values.A).toBe('a "b" $HOME \\n');
    expect(env.values.B).toBe('say "hi" \\ $HOME \\n');
    expect(env.values.C).toBe('');
    expect(env.values.D).toBe('');
  });

  it('reads quoted values across lines and records their line span', () => {
    const env = parseEnv('A="first\nsecond"\nB=2');
    expect(env.values).toEqual({ A: 'first\nsecond', B: '2' });
    expect(env.entries[0]).toMatchObject({ line: 1, endLine: 2 });
    expect(env.entries[1]).toMatchObject({ line: 3, endLine: 3 });
  });

  it('accepts CRLF, a BOM, tabs after export, and lets the last repeat win', () => {
    const env = parseEnv('\uFEFFA=1\r\nexport\tA=2\r\n');
    expect(env.values).toEqual({ A: '2' });
    expect(env.entries).toHaveLength(2);
  });

  it('skips a bare `export KEY` as sh does', () => {
    expect(parseEnv('export A\nexport B C\nD=1').values).toEqual({ D: '1' });
  });

  it.each([
    ['NOEQUALS', 1, /expected KEY=VALUE/],
    ['1BAD=x', 1, /invalid variable name "1BAD"/],
    ['A=1\nB-C=2', 2, /invalid variable name "B-C"/],
    ['A="open\nstill open', 1, /unterminated " quote/],
    ["A='x' trailing", 1, /unexpected text after the closing quote/],
  ])('rejects %j naming line %i', (text, line, pattern) => {
    try {
      parseEnv(text);
      expect.fail('should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(EnvParseError);
      expect((err as EnvParseError).line).toBe(line);
      expect((err as Error).message).toMatch(pattern);
    }
  });

  it('agrees with sh on what a sourced file sets', async () => {
    const text = [
      'export A=plain',
      "B='single $x'",
      'C="double \\"q\\" \\$y"',
      'D=value # comment',
      'E="multi',
      'line"',
    ].join('\n');
    const file = join(await mkdtemp(join(tmpdir(), 'envfile-')), 'sourced.env');
    await writeFile(file, text);
    const out = execFileSync('sh', ['-c', `. "$0"; printf '%s\\0' "$A" "$B" "$C" "$D" "$E"`, file], {
      env: {},
    }).toString();
    const [A, B, C, D, E] = out.split('\0');
    expect(parseEnv(text).values).toEqual({ A, B, C, D, E });
  });
});

describe('formatEnvValue / formatEnvLine', () => {
  it.each(['640', '0.35', 'a b', "it's", 'x"y$z`w\\', '', 'multi\nline', '#hash'])('round-trips %j', (value) => {
    expect(parseEnv(formatEnvLine('K', value)).values.K).toBe(value);
  });

  it('leaves simple values bare and adds export when asked', () => {
    expect(formatEnvValue('256KB')).toBe('256KB');
    expect(formatEnvLine('IMG_SIZE', '640', { exported: true })).toBe('export IMG_SIZE=640');
  });
});

describe('readEnvFile', () => {
  it('names the file and line of a parse error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'envfile-'));
    const path = join(dir, 'miner.env');
    await writeFile(path, 'A=1\nnot a line\n');
    const err = await readEnvFile(path).catch((e: unknown) => e);
    expect(isAutotuneError(err, 'E_ENV_FILE')).toBe(true);
    expect((err as Error).message).toBe(`${path}:2: expected KEY=VALUE, got "not a line"`);
  });

  it('reports an unreadable file as E_ENV_FILE', async () => {
    const err = await readEnvFile('/nonexistent/miner.env').catch((e: unknown) => e);
    expect(isAutotuneError(err, 'E_ENV_FILE')).toBe(true);
    expect((err as Error).message).toMatch(/cannot read env file \/nonexistent\/miner.env/);
  });
});
