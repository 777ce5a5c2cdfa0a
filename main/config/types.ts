// Shapes of the resolved configuration that the rest of main/ consumes. The zod schema in
// schema.ts validates the file; accounts.ts turns `channels.imessage` into one
// `ResolvedImessageAccount` per account (top-level values as defaults, the account's own values win).

export type DmPolicy = 'pairing' | 'allowlist' | 'open' | 'disabled';
export type GroupPolicy = 'allowlist' | 'open' | 'disabled';
export type ChunkMode = 'length' | 'newline';
export type ImessageService = 'imessage' | 'sms' | 'auto';

export interface GroupSettings {
  requireMention?: boolean;
  /** Senders allowed in this group (overrides groupAllowFrom for this chat). */
  allowFrom?: string[];
}

export interface ResolvedImessageAccount {
  /** Normalized: lower-case [a-z0-9_-], at most 64 characters. */
  accountId: string;
  name?: string;
  enabled: boolean;
  configured: boolean;
  /** Executable or wrapper script; `~` expanded. Default "imsg". */
  cliPath: string;
  dbPath?: string;
  /** Explicit, or detected from an SSH wrapper `cliPath`. */
  remoteHost?: string;
  dmPolicy: DmPolicy;
  allowFrom: string[];
  groupPolicy: GroupPolicy;
  /** undefined = fall back to allowFrom. */
  groupAllowFrom?: string[];
  /** Keyed by chat_id as a string, or "*". Non-empty = also a chat allowlist. */
  groups: Record<string, GroupSettings>;
  includeAttachments: boolean;
  mediaMaxMb: number;
  textChunkLimit: number;
  chunkMode: ChunkMode;
  /** Group pending-history size (default 50; 0 disables). */
  historyLimit: number;
  /** DM transcript limit in user turns (undefined = unlimited). */
  dmHistoryLimit?: number;
  dms: Record<string, { historyLimit?: number }>;
  service: ImessageService;
  region: string;
}

/** The validated config file (see schema.ts); re-exported so consumers can import all config types here. */
export type { ClawdbotConfig, ImessageAccountConfig, ImessageSectionConfig, GatewayConfig, DmScope, ModelApi } from './schema';
