// The subset of Messages' chat.db schema that imsg reads, with a few of the real extra columns so
// fixtures look like the real thing. Column names and types follow macOS 14/15 chat.db.

export const CHAT_DB_SCHEMA = `
CREATE TABLE IF NOT EXISTS _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE(key));
CREATE TABLE IF NOT EXISTS kvtable (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE NOT NULL, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS handle (
  ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE,
  id TEXT NOT NULL,
  country TEXT,
  service TEXT NOT NULL,
  uncanonicalized_id TEXT,
  person_centric_id TEXT,
  UNIQUE (id, service)
);
CREATE TABLE IF NOT EXISTS chat (
  ROWID INTEGER PRIMARY KEY AUTOINCREMENT,
  guid TEXT UNIQUE NOT NULL,
  style INTEGER,
  state INTEGER,
  account_id TEXT,
  properties BLOB,
  chat_identifier TEXT,
  service_name TEXT,
  room_name TEXT,
  account_login TEXT,
  is_archived INTEGER DEFAULT 0,
  last_addressed_handle TEXT,
  display_name TEXT,
  group_id TEXT,
  is_filtered INTEGER DEFAULT 0,
  successful_query INTEGER DEFAULT 1,
  last_read_message_timestamp INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS message (
  ROWID INTEGER PRIMARY KEY AUTOINCREMENT,
  guid TEXT UNIQUE NOT NULL,
  text TEXT,
  replace INTEGER DEFAULT 0,
  service_center TEXT,
  handle_id INTEGER DEFAULT 0,
  subject TEXT,
  country TEXT,
  attributedBody BLOB,
  version INTEGER DEFAULT 10,
  type INTEGER DEFAULT 0,
  service TEXT,
  account TEXT,
  account_guid TEXT,
  error INTEGER DEFAULT 0,
  date INTEGER,
  date_read INTEGER DEFAULT 0,
  date_delivered INTEGER DEFAULT 0,
  is_delivered INTEGER DEFAULT 0,
  is_finished INTEGER DEFAULT 0,
  is_from_me INTEGER DEFAULT 0,
  is_read INTEGER DEFAULT 0,
  is_sent INTEGER DEFAULT 0,
  is_audio_message INTEGER DEFAULT 0,
  cache_has_attachments INTEGER DEFAULT 0,
  cache_roomnames TEXT,
  item_type INTEGER DEFAULT 0,
  group_title TEXT,
  associated_message_guid TEXT,
  associated_message_type INTEGER DEFAULT 0,
  associated_message_emoji TEXT,
  balloon_bundle_id TEXT,
  payload_data BLOB,
  expressive_send_style_id TEXT,
  reply_to_guid TEXT,
  thread_originator_guid TEXT,
  thread_originator_part TEXT,
  destination_caller_id TEXT,
  part_count INTEGER DEFAULT 1,
  date_edited INTEGER DEFAULT 0,
  date_retracted INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS attachment (
  ROWID INTEGER PRIMARY KEY AUTOINCREMENT,
  guid TEXT UNIQUE NOT NULL,
  created_date INTEGER DEFAULT 0,
  start_date INTEGER DEFAULT 0,
  filename TEXT,
  uti TEXT,
  mime_type TEXT,
  transfer_state INTEGER DEFAULT 0,
  is_outgoing INTEGER DEFAULT 0,
  user_info BLOB,
  transfer_name TEXT,
  total_bytes INTEGER DEFAULT 0,
  is_sticker INTEGER DEFAULT 0,
  hide_attachment INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS chat_handle_join (
  chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE,
  handle_id INTEGER REFERENCES handle (ROWID) ON DELETE CASCADE,
  UNIQUE(chat_id, handle_id)
);
CREATE TABLE IF NOT EXISTS chat_message_join (
  chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE,
  message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE,
  message_date INTEGER DEFAULT 0,
  PRIMARY KEY (chat_id, message_id)
);
CREATE TABLE IF NOT EXISTS message_attachment_join (
  message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE,
  attachment_id INTEGER REFERENCES attachment (ROWID) ON DELETE CASCADE,
  UNIQUE(message_id, attachment_id)
);
CREATE INDEX IF NOT EXISTS chat_message_join_idx_message_id_only ON chat_message_join(message_id);
CREATE INDEX IF NOT EXISTS chat_message_join_idx_message_date_id_chat_id ON chat_message_join(chat_id, message_date, message_id);
CREATE INDEX IF NOT EXISTS chat_handle_join_idx_handle_id ON chat_handle_join(handle_id);
CREATE INDEX IF NOT EXISTS message_attachment_join_idx_message_id ON message_attachment_join(message_id);
CREATE INDEX IF NOT EXISTS message_idx_date ON message(date);
CREATE INDEX IF NOT EXISTS message_idx_handle ON message(handle_id, date);
CREATE INDEX IF NOT EXISTS message_idx_is_from_me ON message(is_from_me, date);
CREATE INDEX IF NOT EXISTS message_idx_associated_message2 ON message(associated_message_type, associated_message_guid);
CREATE INDEX IF NOT EXISTS message_idx_thread_originator_guid ON message(thread_originator_guid);
`;
