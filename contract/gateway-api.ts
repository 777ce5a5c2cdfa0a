// The data the gateway reports, shared by the gateway (server), the `clawdbot` CLI and the renderer:
// channel health, pairing, the access log, log records, demo messages, `/health` and the control
// API's errors. The methods and events that carry them are in control-api.ts, the shared constants
// in constants.ts. Pure types: no Node or DOM imports, and nothing at run time, so both typecheck
// projects (tsconfig.node.json, tsconfig.web.json) include it and the browser bundle pays nothing.
import type { GATEWAY_SERVICE_ID, ImessageService } from './constants';
import type { FieldIssue } from './setup';

// The params types derived from the method table, under the names the channel and demo mode use.
export type { DemoInjectParams, SendMessageParams } from './control-api';

// ---------------------------------------------------------------------------------------------
// Channel health
// ---------------------------------------------------------------------------------------------

/** Life cycle of one iMessage account's `imsg rpc` process, as the supervisor drives it. */
export type ChannelState =
  | 'stopped' // not running: disabled, not configured, or stopped on purpose
  | 'probing' // checking binary, `rpc --help` and `chats.list` before starting
  | 'starting' // `imsg rpc` spawned, subscribing
  | 'listening' // subscribed to new messages
  | 'backing-off' // a transient failure; a restart is scheduled (see `retryAt`)
  | 'failed-fatal'; // a failure that a restart cannot fix (waits for a config change or an explicit retry)

export type ProbeCheckId =
  | 'binary' // the imsg executable (or wrapper script) exists and is executable
  | 'rpc-support' // `imsg rpc --help` prints the rpc help (old versions lack the subcommand)
  | 'database' // imsg can open chat.db (Full Disk Access)
  | 'rpc-answers'; // `chats.list {limit:1}` answered over JSON-RPC

export interface ProbeCheck {
  id: ProbeCheckId;
  ok: boolean;
  /** What was checked and what was found, in one sentence. */
  detail: string;
  /** The exact fix when `ok` is false (a command to run, a setting to change). */
  fix?: string;
}

export interface ProbeResult {
  ok: boolean;
  /** True when retrying cannot help (missing binary, no rpc subcommand, no Full Disk Access). */
  fatal: boolean;
  /** First failing check's message, when not ok. */
  error?: string;
  fix?: string;
  checks: ProbeCheck[];
  /** `imsg --version` output when it could be read. */
  imsgVersion?: string;
  /** Whether `chats.list` listed any chat (none: Messages is not signed in, or never used); set when it answered. */
  hasChats?: boolean;
  durationMs: number;
  /** ISO time the probe finished. */
  at: string;
}

export interface ChannelError {
  message: string;
  /** What the user should do about it. */
  fix?: string;
  fatal: boolean;
  /** ISO time. */
  at: string;
}

/** Health of one iMessage account: what the CLI status line, the web UI and the menu bar show. */
export interface AccountHealth {
  accountId: string;
  name?: string;
  enabled: boolean;
  configured: boolean;
  /** True for the demo account backed by the imsg simulator. */
  simulated: boolean;
  state: ChannelState;
  /** ISO time the current state was entered. */
  since: string;
  pid: number | null;
  /** Restarts after failures since the gateway started (not counting config reloads). */
  restarts: number;
  /** ISO time of the next restart attempt while backing off. */
  retryAt: string | null;
  lastError: ChannelError | null;
  lastInboundAt: string | null;
  lastOutboundAt: string | null;
  lastProbe: ProbeResult | null;
  imsgVersion: string | null;
  cliPath: string;
  dbPath: string | null;
  remoteHost: string | null;
  /** Last chat.db ROWID fully processed (persisted; resume point after a restart). */
  lastRowid: number | null;
  /** Things that work but deserve attention, e.g. "no mention patterns configured". */
  warnings: string[];
}

/** Whole-gateway status returned by `status` and pushed as `health` events. */
export interface GatewayStatus {
  /**
   * When this status was computed, on the gateway's clock. Ages (`last inbound 3s ago`) are
   * computed against it, not against the viewer's clock, which may differ (a browser on another
   * machine, a VM): `now` on the viewer = its clock + (this − its clock when the status arrived).
   */
  now: string;
  version: string;
  pid: number;
  startedAt: string;
  /** Demo mode: a simulated Messages account, temp state dir. */
  demo: boolean;
  bind: string;
  port: number;
  configPath: string;
  stateDir: string;
  /** Error of the last config reload that was rejected (the gateway keeps the last good config). */
  configError: string | null;
  /**
   * "anthropic/claude-…" or null when no model is configured (messages are logged, not answered).
   * In demo mode without a model: DEMO_ECHO_MODEL, the built-in stand-in that echoes messages.
   */
  model: string | null;
  modelError: string | null;
  accounts: AccountHealth[];
  pendingPairing: number;
  /**
   * The most requests that can be pending at once. When `pendingPairing` reaches it, new unknown
   * senders get no code until one is approved, denied (`pairing.denyAll` clears them) or expires.
   */
  maxPendingPairing: number;
}

// ---------------------------------------------------------------------------------------------
// Pairing and access control
// ---------------------------------------------------------------------------------------------

export interface PairingRequest {
  /** Normalized sender id (E.164 phone number or lower-cased email). */
  id: string;
  /** 8 characters from ABCDEFGHJKLMNPQRSTUVWXYZ23456789. */
  code: string;
  createdAt: string;
  lastSeenAt: string;
  /** createdAt + 1 hour. */
  expiresAt: string;
  /**
   * The iMessage account the request came in on: its code went out from that account, and so does
   * the approval notice. Absent for requests stored before accounts were recorded.
   */
  accountId?: string;
  /** The chat (chat.db ROWID on that account) the code was sent in, when imsg said. */
  chatId?: number;
  /** Raw origin details as stored (`sender`, `accountId`, `chatId` as strings). */
  meta?: Record<string, string>;
}

export interface ApprovedSender {
  id: string;
}

export type PairingEventKind = 'requested' | 'approved' | 'denied' | 'revoked' | 'expired';

export interface PairingEvent {
  kind: PairingEventKind;
  channel: 'imessage';
  senderId: string;
  code?: string;
  at: string;
}

export type AccessDecision = 'accepted' | 'rejected' | 'pairing' | 'skipped' | 'dropped';

/** One line of the access log: why a message was (or was not) handed to the assistant. */
export interface AccessLogEntry {
  ts: string;
  accountId: string;
  chatId: number | null;
  chatName?: string;
  isGroup: boolean;
  sender: string;
  messageId: number | null;
  decision: AccessDecision;
  /** Machine-readable reason, e.g. `dmPolicy=allowlist`, `not in groupAllowFrom`, `no mention`. */
  reason: string;
}

// ---------------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------------

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogRecord {
  ts: string;
  level: LogLevel;
  /** Subsystem, e.g. `gateway`, `imessage:default`, `agent`. */
  scope: string;
  msg: string;
  data?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Control API: /health, results and errors
// ---------------------------------------------------------------------------------------------

/**
 * `GET /health`. Without a token: liveness only. With `Authorization: Bearer <token>`: also the
 * full status. A wrong token is answered 401.
 */
export interface HealthResponse {
  ok: true;
  service: typeof GATEWAY_SERVICE_ID;
  version: string;
  pid: number;
  status?: GatewayStatus;
}

/**
 * `GET /sign-in`, for the web UI before it has a token: where the person finds the gateway token
 * (a file path only for visitors on this machine).
 */
export interface SignInHint {
  /** e.g. "the file /Users/me/.clawdbot/gateway.token". */
  tokenAt: string;
}

/**
 * `POST /sign-in` with `{ code }`: the one-time code of a sign-in link the gateway printed
 * (`http://127.0.0.1:18789/#signin=<code>`) is exchanged, once, for the token.
 */
export interface SignInResponse {
  token: string;
}

export interface SendMessageResult {
  accountId: string;
  /** Messages sent (text chunks, the first carrying the media). */
  chunks: number;
  /** The ids imsg returned, in order: none with an older imsg or for an attachment-only send. */
  messageIds: string[];
  /**
   * What the message went out as: a handle goes as the service asked (`auto` is iMessage), a chat
   * guid names its service; null when a chat addressed by id or identifier decides.
   */
  sentVia: 'iMessage' | 'SMS' | null;
}

/** Demo mode: a message the gateway sent on the simulated Mac (read from the simulated chat.db). */
export interface DemoSentMessage {
  /** chat.db ROWID of the outgoing row. */
  rowid: number;
  /** The recipient's handle in a 1:1 chat, `chat_id:<id>` in a group. */
  to: string;
  text: string;
  /** ISO time. */
  createdAt: string;
}

export type ControlErrorCode =
  | 'unauthorized'
  | 'bad_request'
  | 'not_found'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

export interface ControlError {
  code: ControlErrorCode;
  message: string;
  /** What to do about it, when there is something to do. */
  fix?: string;
  /** With `rate_limited`: how long to wait before the next attempt can succeed. */
  retryAfterMs?: number;
  /** With `bad_request` from a config or account write: each problem by field (nothing was written). */
  issues?: FieldIssue[];
}
