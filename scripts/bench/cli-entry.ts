// Runs the CLI from source (for processes a benchmark starts, e.g. the lab miner under pm2).
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
