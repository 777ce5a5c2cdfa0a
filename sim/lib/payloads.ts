// The JSON shapes imsg emits (spec §3), snake_case as on the wire. Optional keys are left out,
// never null.

export interface AttachmentPayload {
  filename: string;
  transfer_name: string;
  uti: string;
  mime_type: string;
  total_bytes: number;
  is_sticker: boolean;
  original_path: string;
  missing: boolean;
}

export interface ReactionPayload {
  id: number;
  type: string;
  emoji: string;
  sender: string;
  is_from_me: boolean;
  created_at: string;
}

export interface MessagePayload {
  id: number;
  chat_id: number;
  guid: string;
  sender: string;
  is_from_me: boolean;
  text: string;
  created_at: string;
  attachments: AttachmentPayload[];
  reactions: ReactionPayload[];
  reply_to_guid?: string;
  thread_originator_guid?: string;
  reply_to_text?: string;
  reply_to_sender?: string;
  destination_caller_id?: string;
  is_reaction?: boolean;
  reaction_type?: string;
  reaction_emoji?: string;
  is_reaction_add?: boolean;
  reacted_to_guid?: string;
  chat_identifier: string;
  chat_guid: string;
  chat_name: string;
  participants: string[];
  is_group: boolean;
}

export interface RpcChatPayload {
  id: number;
  identifier: string;
  guid: string;
  name: string;
  service: string;
  last_message_at: string;
  participants: string[];
  is_group: boolean;
}

/**
 * Serialises one output line the way Foundation's JSONSerialization does: compact, raw UTF-8,
 * control characters escaped, and `/` escaped as `\/`. (Every `/` in JSON.stringify output sits
 * inside a string and is never part of an escape sequence, so the replacement is safe.)
 */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value).replace(/\//g, '\\/');
}
