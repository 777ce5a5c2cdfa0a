// Tapbacks ("reactions"): separate message rows with associated_message_type 2000–2006 (add) or
// 3000–3006 (remove) pointing at their target through associated_message_guid (spec §5.7).
import type { ReactionPayload } from './payloads';

export const REACTION_KINDS = ['love', 'like', 'dislike', 'laugh', 'emphasis', 'question', 'custom'] as const;
export type ReactionKind = (typeof REACTION_KINDS)[number];

const EMOJI: Record<Exclude<ReactionKind, 'custom'>, string> = {
  love: '❤️', like: '👍', dislike: '👎', laugh: '😂', emphasis: '‼️', question: '❓',
};

// What Messages writes as the tapback row's text ("Liked “hello”").
const VERBS: Record<Exclude<ReactionKind, 'custom'>, [add: string, remove: string]> = {
  love: ['Loved', 'Removed a heart from'],
  like: ['Liked', 'Removed a like from'],
  dislike: ['Disliked', 'Removed a dislike from'],
  laugh: ['Laughed at', 'Removed a laugh from'],
  emphasis: ['Emphasized', 'Removed an exclamation from'],
  question: ['Questioned', 'Removed a question mark from'],
};

export function isTapbackType(type: number | null | undefined): boolean {
  return type !== null && type !== undefined && ((type >= 2000 && type <= 2006) || (type >= 3000 && type <= 3006));
}

export function tapbackType(kind: ReactionKind, remove: boolean): number {
  return (remove ? 3000 : 2000) + REACTION_KINDS.indexOf(kind);
}

export function tapbackText(kind: ReactionKind, remove: boolean, targetText: string, emoji?: string): string {
  if (kind === 'custom') return remove ? `Removed ${emoji ?? ''} from “${targetText}”` : `Reacted ${emoji ?? ''} to “${targetText}”`;
  return `${VERBS[kind][remove ? 1 : 0]} “${targetText}”`;
}

/** `p:0/ABC` → `ABC`; `bp:ABC` and bare guids stay as they are. */
export function normalizeAssociatedGuid(guid: string): string {
  const slash = guid.lastIndexOf('/');
  return slash === -1 ? guid : guid.slice(slash + 1);
}

const FIRST_EMOJI = /\p{Extended_Pictographic}\uFE0F?/u;

/** Kind and emoji of a tapback row; null kind when a custom tapback's emoji cannot be worked out. */
export function describeTapback(type: number, text: string): { kind: ReactionKind | null; emoji: string | null; add: boolean } {
  const add = type < 3000;
  const kind = REACTION_KINDS[type % 1000] as ReactionKind;
  if (kind !== 'custom') return { kind, emoji: EMOJI[kind], add };
  const between = /Reacted (.+?) to /u.exec(text);
  const emoji = between?.[1] ?? FIRST_EMOJI.exec(text)?.[0] ?? null;
  return { kind: emoji === null ? null : 'custom', emoji, add };
}

export interface TapbackRow {
  rowid: number;
  type: number;
  text: string;
  sender: string;
  isFromMe: boolean;
  createdAt: string;
}

/** Folds a target's tapback rows (oldest first) into the reactions still in effect. */
export function aggregateReactions(rows: TapbackRow[]): ReactionPayload[] {
  const entries: Array<{ key: string; reaction: ReactionPayload }> = [];
  for (const row of rows) {
    const { kind, emoji, add } = describeTapback(row.type, row.text);
    const who = `${row.sender}\u0000${row.isFromMe ? 1 : 0}`;
    if (kind === null) {
      // A custom removal whose emoji is unknown removes that sender's first custom reaction.
      if (!add) {
        const index = entries.findIndex((e) => e.key.startsWith(`${who}\u0000custom`));
        if (index !== -1) entries.splice(index, 1);
      }
      continue;
    }
    const key = kind === 'custom' ? `${who}\u0000custom\u0000${emoji}` : `${who}\u0000${kind}`;
    const index = entries.findIndex((e) => e.key === key);
    if (!add) {
      if (index !== -1) entries.splice(index, 1);
      continue;
    }
    const reaction: ReactionPayload = {
      id: row.rowid, type: kind, emoji: emoji ?? '', sender: row.sender, is_from_me: row.isFromMe, created_at: row.createdAt,
    };
    if (index === -1) entries.push({ key, reaction });
    else entries[index] = { key, reaction };
  }
  return entries.map((e) => e.reaction);
}
