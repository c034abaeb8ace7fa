export { openTrackedAgent, type TrackedAgent, type ConnectionRecord, type TrackedAgentOptions } from './connections.js';
export { ConnectionPool, type ConnectionPoolOptions } from './pool.js';
export { startDownload, type Download, type DownloadOutcome, type DownloadRequest } from './download.js';
export { MAX_REDIRECTS, RedirectError, abandonBody, discardBody, header, requestFollowingRedirects, type FollowedResponse } from './redirects.js';
