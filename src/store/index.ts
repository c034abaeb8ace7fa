export { openStorage, DEFAULT_DB_PATH, DEFAULT_BUSY_TIMEOUT_MS } from './sqlite-storage.js';
export { unknownStudy } from './errors.js';
export type * from './types.js';
export { SCHEMA_VERSION } from './schema.js';
