import { sn44Protocol } from './sn44.js';
import { turbovisionProtocol } from './turbovision.js';
import type { MinerProtocol, ProtocolName } from './types.js';

export { PROTOCOL_NAMES, type AnswerCheck, type MinerAnswer, type MinerProtocol, type ProtocolName, type VideoShape } from './types.js';
export { SN44_KEYPOINTS, sn44ReplySchema, type Sn44Reply } from './sn44.js';
export { hashJson } from './canonical.js';

export function protocolNamed(name: ProtocolName): MinerProtocol {
  return name === 'sn44' ? sn44Protocol : turbovisionProtocol;
}
