import { defineConfig } from 'vitest/config';

// Native addons (onnxruntime, better-sqlite3) and child processes (ffmpeg, pm2) behave best in
// forked workers; two workers match the 2-core CI machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One throwaway PostgreSQL cluster for the suite; each file that needs it makes its own database.
    globalSetup: ['test/helpers/postgres-cluster.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
