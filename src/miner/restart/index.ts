import { CommandRestarter } from './command.js';
import { Pm2Restarter } from './pm2.js';
import type { Restarter, RestartSpec } from './types.js';

export { CommandRestarter } from './command.js';
export { Pm2Restarter } from './pm2.js';
export { tailLines, type Restarter, type RestartSpec } from './types.js';

export function restarterFor(spec: RestartSpec): Restarter {
  return spec.kind === 'pm2' ? new Pm2Restarter(spec.name) : new CommandRestarter(spec.argv);
}
