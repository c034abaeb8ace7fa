export { FileReferenceCache, type ReferenceAnswer, type ReferenceCache } from './cache.js';
export { fileHash, referenceKey, videoIdentity } from './identity.js';
export { referenceConfig, REFERENCE_CONF } from './config.js';
