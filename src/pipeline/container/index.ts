export { topLevelBoxes, readTopLevelBoxes, moovBeforeMdat, type TopLevelBox, type BoxWalkOptions } from './boxes.js';
export { inspectMp4, inspectMp4Prefix, countFrames, framesWithin, type Mp4Info, type Mp4PrefixInspection } from './mp4.js';
