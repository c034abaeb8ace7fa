import { describe, expect, it } from 'vitest';
import { envValues, parseEditableEnv, setEnvValues } from '../../src/apply/env-editor.js';
import { parseTunedEnv, parseTunedLines } from '../../src/apply/tuned-env.js';

describe('the .env editor', () => {
  it('keeps every untouched byte: comments, blanks, order, quotes, export, CRLF; updates in place; appends new keys', () => {
    const text = '\uFEFF# top\r\nexport A=1 # keep me\r\n\r\nB="two words"\r\nC=\'x\'   # c\r\nexport ONLY\r\nA=3\r\n';
    const env = parseEditableEnv(text, '.env');
    expect(envValues(env)).toEqual({ A: '3', B: 'two words', C: 'x' });
    const out = setEnvValues(env, [{ key: 'A', value: '5' }, { key: 'C', value: 'y' }, { key: 'NEW', value: '7' }, { key: 'B', value: 'two words' }], 'added');
    expect(out).toBe('\uFEFF# top\r\nexport A=5 # keep me\r\n\r\nB="two words"\r\nC=y   # c\r\nexport ONLY\r\nA=5\r\n# added\r\nNEW=7\r\n');
  });

  it('appends after a last line without a newline, and to an empty file', () => {
    expect(setEnvValues(parseEditableEnv('A=1', '.env'), [{ key: 'B', value: '2' }], 'n')).toBe('A=1\n# n\nB=2\n');
    expect(setEnvValues(parseEditableEnv('', '.env'), [{ key: 'B', value: '2' }], 'n')).toBe('# n\nB=2\n');
  });

  it('returns the text unchanged when the values already match', () => {
    const text = 'A=1\n# c\n';
    expect(setEnvValues(parseEditableEnv(text, '.env'), [{ key: 'A', value: '1' }], 'n')).toBe(text);
  });

  it('refuses what it cannot keep intact, naming the line', () => {
    expect(() => parseEditableEnv('A=1\nB="line one\nline two"\n', '/m/.env')).toThrow(/^\/m\/\.env:2: B has a multi-line quoted value/);
    expect(() => parseEditableEnv('A=1\nthis is not a setting\n', '/m/.env')).toThrow(/^\/m\/\.env:2: expected KEY=VALUE/);
    expect(() => parseEditableEnv('A=1\nB=\'open\n', '/m/.env')).toThrow(/^\/m\/\.env:2: unterminated ' quote/);
  });
});

describe('the tuned env file', () => {
  it('reads plain KEY=VALUE lines, export, comments', () => {
    expect(parseTunedEnv('# best\nexport IMG_SIZE=416\nCONF_THRESHOLD=0.35  # was 0.5\n\nUSE_NVDEC=0\n', 'best.env')).toEqual([
      { key: 'IMG_SIZE', value: '416', line: 2 },
      { key: 'CONF_THRESHOLD', value: '0.35', line: 3 },
      { key: 'USE_NVDEC', value: '0', line: 5 },
    ]);
  });

  it.each([
    ['IMG_SIZE=416; rm -rf /', 2, /not a plain KEY=VALUE line/],
    ['IMG_SIZE=$(reboot)', 2, /value of IMG_SIZE is not a plain value/],
    ['IMG_SIZE=`id`', 2, /value of IMG_SIZE is not a plain value/],
    ['IMG_SIZE="416"', 2, /value of IMG_SIZE is not a plain value/],
    ['img_size=416', 2, /invalid name "img_size"/],
    ['IMG-SIZE=416', 2, /invalid name "IMG-SIZE"/],
    ['IMG_SIZE=', 2, /value of IMG_SIZE is not a plain value/],
    ['BATCH_SIZE=64', 2, /BATCH_SIZE is set twice \(first on line 1\)/],
    ['just words', 2, /not a plain KEY=VALUE line/],
  ])('refuses the whole file for %j, naming line %i', (bad, line, why) => {
    expect(() => parseTunedEnv(`BATCH_SIZE=32\n${bad}\nFRAME_STRIDE=1\n`, 'best.env')).toThrow(new RegExp(`^best\\.env:${line}: ${why.source}`));
  });

  it('refuses a file that sets nothing (a config of no knob is fine: the miner runs as it is)', () => {
    expect(() => parseTunedEnv('# sn44-autotune: best config\n\n', 'best.env')).toThrow(/^best\.env sets no variables; nothing was changed$/);
    expect(parseTunedLines('# sn44-autotune: best config\n\n', 'the trial config')).toEqual([]);
  });
});
