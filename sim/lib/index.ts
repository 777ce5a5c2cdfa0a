// Library API of the imsg simulator, for tests and demos (see ../README.md).
import { fileURLToPath } from 'node:url';

export { SimDb, SimDbError, DEFAULT_ME } from './sim-db';
export type {
  InjectAttachment, InjectGroup, InjectOptions, InjectResult, InjectTapback, OutgoingTarget, SentAttachment, SentRow, Service, SimDbOptions,
} from './sim-db';
export { encodeAttributedBody, decodeAttributedBody } from './typedstream';
export { appleMsToIso, parseIsoTimestamp, unixMsToAppleNs, APPLE_EPOCH_UNIX_MS } from './apple-time';
export { messagesHomeFor } from './settings';
export type { MessagePayload, AttachmentPayload, ReactionPayload, RpcChatPayload } from './payloads';
export type { ReactionKind } from './reactions';

/** Absolute path of the `imsg` executable wrapper (needs `npm run build:node` first). */
export const simBinPath: string = fileURLToPath(new URL('../bin/imsg', import.meta.url));
