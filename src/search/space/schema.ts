// The shape of a search-space file, checked with zod before the semantic checks in parse.ts.
import { z } from 'zod';

export const knobValue = z.union([z.number(), z.string(), z.boolean()]);
const knobMap = z.record(z.string(), knobValue);

export const fileSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  params: z.record(z.string(), z.unknown()),
  fixed: knobMap.optional(),
  reference: knobMap,
  baselines: z.record(z.string(), knobMap).optional(),
});

const common = {
  type: z.string(),
  description: z.string().optional(),
  when: z.record(z.string(), z.union([knobValue, z.array(knobValue).min(1)])).optional(),
  requires: z.array(z.string()).optional(),
  default: knobValue.optional(),
};

export const paramSchemas = {
  bool: z.strictObject({ ...common }),
  int: z.strictObject({
    ...common,
    low: z.number().int(),
    high: z.number().int(),
    step: z.number().int().positive().optional(),
    log: z.boolean().optional(),
  }),
  float: z.strictObject({
    ...common,
    low: z.number(),
    high: z.number(),
    step: z.number().positive().optional(),
    log: z.boolean().optional(),
  }),
  categorical: z.strictObject({ ...common, choices: z.array(knobValue).min(1) }),
} as const;

export type ParamFileType = keyof typeof paramSchemas;

/** The keys allowed at each place, for "unknown key" hints. */
export function allowedKeys(schema: z.ZodObject): string[] {
  return Object.keys(schema.shape);
}
