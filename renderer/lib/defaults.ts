// The iMessage defaults the screens show for keys the config does not set. The truth is
// IMESSAGE_DEFAULTS in contract/config.ts, which loads zod and so stays out of the web bundle;
// lib/defaults.test.ts checks that these are the same values.
export const IMESSAGE_DEFAULTS_SHOWN = {
  dmPolicy: 'pairing',
  groupPolicy: 'allowlist',
  includeAttachments: false,
  mediaMaxMb: 16,
  textChunkLimit: 4000,
  chunkMode: 'length',
  historyLimit: 50,
} as const;

/** The gateway's port when the config does not set one. */
export { DEFAULT_GATEWAY_PORT } from '../../contract/constants';
