// Runs the CLI from source so tests never depend on a stale dist/ build.
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
