// Who may talk to the assistant: the access decision for one inbound message, from the account's
// policies, its allowlists and the senders approved through pairing. Pure (no I/O): the caller
// passes the approved senders it read from the pairing store (PairingStore.allowFromSnapshot()).
//
// Order of checks (spec imessage-channel.md §2.3):
//   1. empty sender / own message                          → dropped
//   2. group detection; a group without chat_id            → dropped
//   3. group: groupPolicy=disabled → per-chat allowFrom (if any) → sender allowlist (allowlist
//      policy) → chat allowlist (`groups` non-empty and neither this chat_id nor "*")
//   4. DM: dmPolicy=disabled → authorized (open, "*", allowFrom ∪ approved) → pairing | rejected
//
// Our addition: `groups.<chat_id>.allowFrom` (or `groups["*"].allowFrom`) replaces the sender
// allowlist for that chat, under both `open` and `allowlist` group policies. It does *not* include
// the DM-paired senders: a per-chat list is the owner naming exactly who may trigger the bot there.
import type { DmPolicy, GroupPolicy, GroupSettings, ResolvedImessageAccount } from '../config/types';
import type { AccessDecision } from '../../contract/gateway-api';
import { compileAllowList, type AllowMatcher, type NormalizedSenderRef } from './allow-from';
import { normalizeHandle } from '../../contract/handles';

export type AccessPolicyConfig = Pick<ResolvedImessageAccount, 'dmPolicy' | 'allowFrom' | 'groupPolicy' | 'groupAllowFrom' | 'groups'>;

/** The fields of an imsg message that access control looks at. */
export interface AccessMessage {
  sender: string;
  isFromMe?: boolean;
  isGroup?: boolean;
  chatId?: number | null;
  chatGuid?: string | null;
  chatIdentifier?: string | null;
}

export interface CompiledAccessPolicy {
  readonly dmPolicy: DmPolicy;
  readonly groupPolicy: GroupPolicy;
  /** Config `allowFrom`. */
  readonly dmAllow: AllowMatcher;
  /** Config `groupAllowFrom`, or `allowFrom` when groupAllowFrom is not set. */
  readonly groupAllow: AllowMatcher;
  readonly groups: Readonly<Record<string, GroupSettings>>;
  /** `groups` has at least one key, so it is also a chat allowlist. */
  readonly hasGroups: boolean;
  /** Compiled `groups.<key>.allowFrom` lists, by key (chat_id or "*"). */
  readonly groupAllowByChat: ReadonlyMap<string, AllowMatcher>;
}

export type AccessOutcome = Extract<AccessDecision, 'accepted' | 'rejected' | 'pairing' | 'dropped'>;

export interface AccessResult {
  decision: AccessOutcome;
  /** Machine-readable, for the access log: `dmPolicy=allowlist`, `not in groupAllowFrom`, … */
  reason: string;
  isGroup: boolean;
  /** Normalized sender handle ('' when the sender is empty): the pairing id. */
  senderId: string;
  /**
   * Whether this sender may run control commands (/status, /new…): in a DM, the same as being
   * accepted; in a group, matching the effective DM or group allowlist (spec §1 row 27).
   */
  commandAuthorized: boolean;
}

export interface AccessInput {
  /** The account's settings; compiled once and cached per object (or pass compileAccessPolicy's result). */
  policy: CompiledAccessPolicy | AccessPolicyConfig;
  message: AccessMessage;
  /**
   * Senders approved through pairing (the allow store). A "*" in it is ignored. Pass the same
   * array while the store is unchanged: it is compiled once per array.
   */
  approved?: readonly string[] | AllowMatcher;
}

const GROUP_GUID_MARKER = ';+;';
const WILDCARD = '*';

export function compileAccessPolicy(config: AccessPolicyConfig): CompiledAccessPolicy {
  const dmAllow = compileAllowList(config.allowFrom);
  const groupAllow = config.groupAllowFrom !== undefined ? compileAllowList(config.groupAllowFrom) : dmAllow;
  const groups = config.groups ?? {};
  const groupAllowByChat = new Map<string, AllowMatcher>();
  for (const [key, settings] of Object.entries(groups)) {
    if (settings?.allowFrom !== undefined) groupAllowByChat.set(key, compileAllowList(settings.allowFrom));
  }
  return {
    dmPolicy: config.dmPolicy ?? 'pairing',
    groupPolicy: config.groupPolicy ?? 'allowlist',
    dmAllow,
    groupAllow,
    groups,
    hasGroups: Object.keys(groups).length > 0,
    groupAllowByChat,
  };
}

/**
 * A thread is a group if imsg says so, if its guid has the group marker (`iMessage;+;chat…`;
 * DMs use `;-;`), or if its chat_id is an explicit key of `groups` (not merely covered by "*").
 */
export function isGroupMessage(message: AccessMessage, groups: Readonly<Record<string, GroupSettings>>): boolean {
  if (message.isGroup) return true;
  if (message.chatGuid?.includes(GROUP_GUID_MARKER)) return true;
  return message.chatId != null && Object.hasOwn(groups, String(message.chatId));
}

/** The per-chat settings that apply: the chat's own entry, else `groups["*"]`, else none. */
export function resolveGroupSettings(
  groups: Readonly<Record<string, GroupSettings>>,
  chatId: number | null | undefined,
): { key: string; settings: GroupSettings } | undefined {
  if (chatId != null && Object.hasOwn(groups, String(chatId))) return { key: String(chatId), settings: groups[String(chatId)] ?? {} };
  if (Object.hasOwn(groups, WILDCARD)) return { key: WILDCARD, settings: groups[WILDCARD] ?? {} };
  return undefined;
}

const compiledByConfig = new WeakMap<AccessPolicyConfig, CompiledAccessPolicy>();
const compiledByApprovedList = new WeakMap<readonly string[], AllowMatcher>();
const NOBODY = compileAllowList([]);

function isCompiled(policy: CompiledAccessPolicy | AccessPolicyConfig): policy is CompiledAccessPolicy {
  return 'dmAllow' in policy;
}

function compiledPolicy(policy: CompiledAccessPolicy | AccessPolicyConfig): CompiledAccessPolicy {
  if (isCompiled(policy)) return policy;
  let compiled = compiledByConfig.get(policy);
  if (!compiled) {
    compiled = compileAccessPolicy(policy);
    compiledByConfig.set(policy, compiled);
  }
  return compiled;
}

function approvedMatcher(approved: AccessInput['approved']): AllowMatcher {
  if (!approved) return NOBODY;
  if (!Array.isArray(approved)) return approved as AllowMatcher;
  const list = approved as readonly string[];
  let matcher = compiledByApprovedList.get(list);
  if (!matcher) {
    matcher = compileAllowList(list, { ignoreWildcard: true });
    compiledByApprovedList.set(list, matcher);
  }
  return matcher;
}

export function decideAccess(input: AccessInput): AccessResult {
  const policy = compiledPolicy(input.policy);
  const { message } = input;
  const senderId = normalizeHandle(message.sender ?? '');
  const result = (decision: AccessOutcome, reason: string, isGroup: boolean, commandAuthorized = false): AccessResult => ({
    decision,
    reason,
    isGroup,
    senderId,
    commandAuthorized,
  });

  if (senderId === '') return result('dropped', 'empty sender', false);
  if (message.isFromMe) return result('dropped', 'from me', false);

  const ref: NormalizedSenderRef = {
    handle: senderId,
    chatId: message.chatId,
    chatGuid: message.chatGuid,
    chatIdentifier: message.chatIdentifier,
  };
  const approved = approvedMatcher(input.approved);
  const isGroup = isGroupMessage(message, policy.groups);

  if (!isGroup) {
    if (policy.dmPolicy === 'disabled') return result('rejected', 'dmPolicy=disabled', false);
    if (policy.dmPolicy === 'open') return result('accepted', 'dmPolicy=open', false, true);
    if (policy.dmAllow.wildcard) return result('accepted', 'allowFrom=*', false, true);
    if (policy.dmAllow.matches(ref)) return result('accepted', 'allowFrom', false, true);
    if (approved.matches(ref)) return result('accepted', 'paired', false, true);
    if (policy.dmPolicy === 'pairing') return result('pairing', 'not in allowFrom', false);
    return result('rejected', 'dmPolicy=allowlist', false);
  }

  if (message.chatId == null) return result('dropped', 'group without chat_id', true);

  const commandAuthorized = policy.dmAllow.matches(ref) || policy.groupAllow.matches(ref) || approved.matches(ref);
  if (policy.groupPolicy === 'disabled') return result('rejected', 'groupPolicy=disabled', true, commandAuthorized);

  const chatEntry = resolveGroupSettings(policy.groups, message.chatId);
  const chatAllow = chatEntry ? policy.groupAllowByChat.get(chatEntry.key) : undefined;
  if (chatAllow) {
    // A per-chat list is the complete sender allowlist for that chat; being listed under
    // `groups` also means the chat passes the chat allowlist.
    if (chatAllow.isEmpty) return result('rejected', 'group allowFrom is empty', true, commandAuthorized);
    if (!chatAllow.matches(ref)) return result('rejected', 'not in group allowFrom', true, commandAuthorized);
    return result('accepted', 'group allowFrom', true, true);
  }

  let reason: string;
  if (policy.groupPolicy === 'allowlist') {
    if (policy.groupAllow.isEmpty && approved.isEmpty) {
      return result('rejected', 'groupPolicy=allowlist, no groupAllowFrom', true, commandAuthorized);
    }
    if (policy.groupAllow.matches(ref)) reason = 'groupAllowFrom';
    else if (approved.matches(ref)) reason = 'paired';
    else return result('rejected', 'not in groupAllowFrom', true, commandAuthorized);
  } else {
    reason = 'groupPolicy=open';
  }

  if (policy.hasGroups && !chatEntry) return result('rejected', 'chat not in groups', true, commandAuthorized);
  return result('accepted', reason, true, commandAuthorized);
}
