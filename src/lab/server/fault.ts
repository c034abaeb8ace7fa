import { AutotuneError } from '../../errors.js';

// Failures the lab server can inject, so clients' error paths are testable.
export type Fault =
  | { kind: 'no-range' } // ignore Range, answer 200 with the whole body
  | { kind: 'stall-after'; bytes: number } // send that many body bytes, then nothing (connection stays open)
  | { kind: 'reset-after'; bytes: number } // send that many body bytes, then break the connection / stream
  | { kind: 'status'; status: number }; // answer this status with a short body

export const FAULT_SPECS = ['no-range', 'stall-after=BYTES', 'reset-after=BYTES', 'status=NNN'] as const;

function invalid(spec: string, why: string): AutotuneError {
  return new AutotuneError('E_USAGE', `invalid --fault "${spec}": ${why}`, {
    hint: `use one of: ${FAULT_SPECS.join(', ')}`,
    context: { fault: spec },
  });
}

function parseCount(spec: string, text: string): number {
  if (!/^\d+$/.test(text)) throw invalid(spec, `"${text}" is not a whole number of bytes`);
  return Number(text);
}

/** Parses a --fault string such as `stall-after=65536` into a typed Fault. */
export function parseFault(spec: string): Fault {
  const trimmed = spec.trim();
  const eq = trimmed.indexOf('=');
  const name = eq === -1 ? trimmed : trimmed.slice(0, eq);
  const value = eq === -1 ? undefined : trimmed.slice(eq + 1);
  switch (name) {
    case 'no-range':
      if (value !== undefined) throw invalid(spec, 'no-range takes no value');
      return { kind: 'no-range' };
    case 'stall-after':
    case 'reset-after':
      if (value === undefined) throw invalid(spec, `${name} needs a byte count, e.g. ${name}=65536`);
      return { kind: name, bytes: parseCount(spec, value) };
    case 'status': {
      if (value === undefined || !/^\d{3}$/.test(value)) throw invalid(spec, 'status needs a 3-digit HTTP status');
      const status = Number(value);
      if (status < 200 || status > 599) throw invalid(spec, 'the status must be between 200 and 599');
      return { kind: 'status', status };
    }
    default:
      throw invalid(spec, `unknown fault "${name}"`);
  }
}

export function describeFault(fault: Fault | null): string {
  if (fault === null) return 'none';
  switch (fault.kind) {
    case 'no-range':
      return 'no-range';
    case 'status':
      return `status=${fault.status}`;
    default:
      return `${fault.kind}=${fault.bytes}`;
  }
}
