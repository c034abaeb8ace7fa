// Keeps every core busy (twice over) until killed: load switched on in the middle of a study.
const { Worker } = require('node:worker_threads');
const { availableParallelism } = require('node:os');
for (let i = 0; i < 2 * availableParallelism(); i++) new Worker('for (;;) {}', { eval: true });
process.stdout.write('burning\n');
setInterval(() => {}, 1 << 30);
