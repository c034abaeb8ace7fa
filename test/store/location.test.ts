import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLocation, redact } from '../../src/store/index.js';
import { codeOf } from './conformance.js';

describe('store locations', () => {
  it('reads a path as a SQLite file and a postgres:// or postgresql:// URL as PostgreSQL', () => {
    expect(parseLocation('results/a.db')).toEqual({ kind: 'sqlite', path: 'results/a.db' });
    expect(parseLocation('postgres://tuner@db.lan:5433/autotune')).toMatchObject({
      kind: 'postgres',
      display: 'postgres://tuner@db.lan:5433/autotune',
      user: 'tuner',
      database: 'autotune',
      createCommand: 'createdb -h db.lan -p 5433 -U tuner autotune',
    });
    expect(parseLocation('postgresql://tuner@/autotune?host=/var/run/postgresql')).toMatchObject({
      kind: 'postgres',
      createCommand: 'createdb -h /var/run/postgresql -U tuner autotune',
    });
  });

  it('never shows a password: not in the URL, not in a password= parameter', () => {
    const withPassword = parseLocation('postgres://tuner:s3cr%40t@db.lan/autotune?password=other&sslmode=verify-full');
    expect(withPassword.kind === 'postgres' && withPassword.display).toBe('postgres://tuner:***@db.lan/autotune?password=***&sslmode=verify-full');
    expect(redact('postgres://tuner:pw@db.lan/autotune')).toBe('postgres://tuner:***@db.lan/autotune');
    expect(redact('postgres://tuner@db.lan/autotune')).toBe('postgres://tuner@db.lan/autotune');
    expect(redact('results/a.db')).toBe('results/a.db');
  });

  it('refuses another kind of URL, a URL without a database and an empty value (E_USAGE)', async () => {
    for (const text of ['mysql://u@h/db', 'postgres://u:pw@h:5432/', 'postgres://u@h', '']) {
      expect(await codeOf(Promise.resolve().then(() => parseLocation(text))), text).toBe('E_USAGE');
    }
    expect(() => parseLocation('postgres://u:pw@h:5432/')).toThrow('--storage postgres://u:***@h:5432/ names no database');
  });

  it('refuses a folder given as the SQLite file (E_INPUT), naming a file in it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'location-'));
    expect(await codeOf(Promise.resolve().then(() => parseLocation(folder, '--db')))).toBe('E_INPUT');
    expect(() => parseLocation(folder, '--db')).toThrow(`--db ${folder} is a folder, not a results database file`);
    expect(parseLocation(join(folder, 'autotune.db'))).toEqual({ kind: 'sqlite', path: join(folder, 'autotune.db') });
  });
});
