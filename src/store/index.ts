export { openStorage } from './open.js';
export { DEFAULT_DB_PATH, type OpenStorageOptions } from './options.js';
export { DEFAULT_BUSY_TIMEOUT_MS } from './sqlite-storage.js';
export { isPostgresUrl, parseLocation, redact } from './location.js';
export { unknownStudy } from './errors.js';
export type * from './types.js';
export { SCHEMA_VERSION } from './schema.js';
export { copyStore, readStudyDump, type CopyReport } from './copy.js';
