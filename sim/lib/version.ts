// Version profiles: which imsg release the simulator impersonates (IMSG_SIM_VERSION / IMSG_VERSION,
// default 0.9.0). Each flag is one behaviour that changed between releases (spec §6.1), so clients
// can be tested against what users actually run (late-January-2026 Homebrew was 0.4.0).
import type { TypedStreamDecoder } from './typedstream';

export const DEFAULT_VERSION = '0.9.0';

export interface VersionProfile {
  /** The string `--version` prints. */
  version: string;
  /** ≥0.3.0: the `rpc` subcommand exists. */
  hasRpc: boolean;
  /** How a failure to open chat.db is reported: enum dump (<0.7.0), text banner (<0.8.2), JSON-RPC errors. */
  startupFailure: 'enum' | 'banner' | 'server';
  /** ≥0.7.0: CLI domain errors are readable text instead of Swift enum dumps. */
  readableCliErrors: boolean;
  /** <0.5.0: is_group computed from chat_identifier only (wrong for real groups). */
  isGroupBug: boolean;
  /** ≥0.4.1: history applies participants/start/end before the limit. */
  historyFiltersBeforeLimit: boolean;
  /** ≥0.5.0: thread_originator_guid, destination_caller_id, include_reactions (tapback events). */
  threadAndReactionEvents: boolean;
  /** ≥0.6.0: reactions[] independent of `attachments` (history always; watch with include_reactions). */
  reactionsDecoupled: boolean;
  /** ≥0.6.0: `debounce_ms` param (default 500) and the fallback poll; before: fixed 250 ms, FS events only. */
  debounceAndFallbackPoll: boolean;
  /** ≥0.6.0: `send` returns id/guid when the sent row is found; `send` opens chat.db first. */
  sendVerification: boolean;
  /** ≥0.6.0: CLI `chats --json` carries guid/is_group/participants; `status` exists. */
  richCliJson: boolean;
  /** ≥0.8.1: `send` accepts `transport` and reports it in the result. */
  sendTransport: boolean;
  /** ≥0.9.0: reply_to_text / reply_to_sender. */
  replyContext: boolean;
  /** attributedBody decoder generation. */
  typedStream: TypedStreamDecoder;
  /** RPC methods besides the five core ones that this version knows (all need the IMCore bridge). */
  bridgeMethods: ReadonlySet<string>;
}

/** Parses `major.minor.patch` (optionally `v`-prefixed, with a suffix like `-dev`); null if not a version. */
export function parseSemver(text: string): [number, number, number] | null {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!match) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

function atLeast(v: [number, number, number], major: number, minor: number, patch: number): boolean {
  if (v[0] !== major) return v[0] > major;
  if (v[1] !== minor) return v[1] > minor;
  return v[2] >= patch;
}

const BRIDGE_0_7_3 = ['typing', 'read', 'chats.create', 'chats.delete', 'chats.markUnread', 'group.rename',
  'group.setIcon', 'group.addParticipant', 'group.removeParticipant', 'group.leave'];
const BRIDGE_0_9_0 = ['send.rich', 'send.attachment', 'tapback', 'message.edit', 'message.unsend',
  'message.delete', 'message.notifyAnyways'];

export function versionProfile(reported: string): VersionProfile {
  // A version string we cannot parse (e.g. a custom build label) behaves like the default release.
  const v = parseSemver(reported) ?? (parseSemver(DEFAULT_VERSION) as [number, number, number]);
  const bridge = new Set<string>();
  if (atLeast(v, 0, 5, 0) && !atLeast(v, 0, 6, 0)) bridge.add('typing.start').add('typing.stop');
  if (atLeast(v, 0, 7, 3)) BRIDGE_0_7_3.forEach((m) => bridge.add(m));
  if (atLeast(v, 0, 9, 0)) BRIDGE_0_9_0.forEach((m) => bridge.add(m));
  return {
    version: reported,
    hasRpc: atLeast(v, 0, 3, 0),
    startupFailure: atLeast(v, 0, 8, 2) ? 'server' : atLeast(v, 0, 7, 0) ? 'banner' : 'enum',
    readableCliErrors: atLeast(v, 0, 7, 0),
    isGroupBug: !atLeast(v, 0, 5, 0),
    historyFiltersBeforeLimit: atLeast(v, 0, 4, 1),
    threadAndReactionEvents: atLeast(v, 0, 5, 0),
    reactionsDecoupled: atLeast(v, 0, 6, 0),
    debounceAndFallbackPoll: atLeast(v, 0, 6, 0),
    sendVerification: atLeast(v, 0, 6, 0),
    richCliJson: atLeast(v, 0, 6, 0),
    sendTransport: atLeast(v, 0, 8, 1),
    replyContext: atLeast(v, 0, 9, 0),
    typedStream: atLeast(v, 0, 8, 0) ? 'current' : atLeast(v, 0, 7, 0) ? 'v07' : 'legacy',
    bridgeMethods: bridge,
  };
}
