// What `imsg` (the macOS CLI our gateway drives over JSON-RPC, spec imsg-protocol.md) sends us,
// after validation at the boundary (main/imessage/imsg-message.ts). Shared by the gateway, the
// simulator and the agent, which all speak about the same messages.

export interface ImsgAttachment {
  filename?: string;
  transfer_name?: string;
  uti?: string;
  mime_type?: string;
  total_bytes?: number;
  is_sticker?: boolean;
  original_path?: string;
  missing?: boolean;
}

/** A message as delivered by `watch.subscribe` / `messages.history` (snake_case, as imsg sends it). */
export interface ImsgMessage {
  id: number;
  chat_id: number;
  guid: string;
  sender: string;
  is_from_me: boolean;
  text: string;
  created_at: string;
  attachments: ImsgAttachment[];
  chat_identifier?: string;
  chat_guid?: string;
  chat_name?: string;
  participants?: string[];
  is_group?: boolean;
  reply_to_guid?: string;
  reply_to_text?: string;
  reply_to_sender?: string;
  reply_to_id?: number;
  thread_originator_guid?: string;
  destination_caller_id?: string;
  sender_name?: string;
  /** Tapback event rows (only with include_reactions, which we do not request). */
  is_reaction?: boolean;
}
