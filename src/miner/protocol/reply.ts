// Shared steps of checking a reply: JSON, a zod schema (first problem with its path), the echoed id.

import type { z } from 'zod';
import type { ChallengeError } from '../../pipeline/types.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: ChallengeError };

const schemaError = (message: string): ChallengeError => ({ reason: 'answer-schema', message });

/** Parses the body as JSON and validates it; the first problem names where it is. */
export function parseReply<S extends z.ZodType>(body: string, schema: S): Parsed<z.infer<S>> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return { ok: false, error: schemaError(`the reply is not JSON (${(err as Error).message}): ${excerpt(body)}`) };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0]!;
  return { ok: false, error: schemaError(`the reply's ${pathOf(issue.path) || 'body'}: ${issue.message}`) };
}

export function checkEcho(got: string, expected: string | null): ChallengeError | null {
  if (expected === null || got === expected) return null;
  return schemaError(`the reply's challenge_id ${JSON.stringify(got)} does not echo the challenge's ${JSON.stringify(expected)}`);
}

export function pathOf(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** The first characters of a body, for a message. */
export function excerpt(body: string, max = 120): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > max ? `${flat.slice(0, max)}...` : flat);
}
