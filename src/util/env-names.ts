// What a tuned environment variable may look like: emit writes only such lines, and apply accepts
// only such lines, so nothing from a study can inject shell into a miner's .env.

export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** Numbers, 0/1, simple tokens: no quotes, spaces, `=`, `$`, backticks, `;`, `&`, `|`, `<`, `>`, `\`... */
export const PLAIN_ENV_VALUE = /^[A-Za-z0-9_.,:+\-/@%]+$/;
