// Shapes of the configuration that the rest of main/ consumes, all importable from here. The zod
// schema (contract/config.ts) validates the file and defines the config's types; accounts.ts turns
// `channels.imessage` into one `ResolvedImessageAccount` per account (top-level values as defaults,
// the account's own values win).
import type { ChunkMode, DmPolicy, GroupPolicy } from '../../contract/config';
import type { ImessageService } from '../../contract/constants';

export type { ChunkMode, DmPolicy, GroupPolicy, ImessageService };

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

/** The validated config file (contract/config.ts); re-exported so consumers can import all config types here. */
export type { ClawdbotConfig, ClawdbotConfigInput, ConfigPatch, ImessageAccountConfig, ImessageSectionConfig, GatewayConfig, DmScope, ModelApi } from '../../contract/config';
