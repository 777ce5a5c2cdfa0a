// The agent: given a session and a new inbound envelope, asks the configured model for a reply.
// It owns the prompt (system prompt + session history + the new turn), the transcript writes, and
// reply shaping (responsePrefix, NO_REPLY). Delivery, access policy and chunking live elsewhere.
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { silentLogger, type Logger } from '../util/logger';
import { KeyedSerialQueue } from '../util/serial-queue';
import { formatFileSize } from './envelope';
import {
  AgentConfigError,
  resolveAgentSettings,
  resolveModel,
  type AgentConfigInput,
  type AgentEnv,
  type AgentSettings,
  type ModelResolution,
  type ResolvedModel,
} from './model-config';
import { createAnthropicProvider } from './providers/anthropic';
import { ModelError, type ModelErrorKind } from './providers/errors';
import { DEFAULT_HTTP_OPTIONS, type HttpOptions } from './providers/http';
import { nodeHttpFetch } from './providers/node-http-fetch';
import { createOpenAiProvider } from './providers/openai';
import type { ChatTurn, ImageInput, ModelProvider } from './providers/types';
import { createSessionStore, sessionKeyFor, trimToUserTurns, type SessionStore, type SessionTarget, type TranscriptTurn } from './sessions';

/** The exact reply (after trimming) with which the model stays silent. */
export const NO_REPLY = 'NO_REPLY';

/** Image formats both vendors accept. HEIC (the iPhone default) is not among them. */
const VISION_MIME_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
/** Anthropic's per-image limit; OpenAI allows more, but one limit keeps behaviour predictable. */
export const DEFAULT_MAX_IMAGE_BYTES = 5 * 1024 * 1024;

export interface CreateAgentOptions {
  config: AgentConfigInput;
  /** Where API keys are looked up (default `process.env`). */
  env?: AgentEnv;
  stateDir: string;
  logger?: Logger;
  fetch?: typeof fetch;
  /** HTTP tuning (timeouts, retries, backoff); mostly for tests. */
  http?: Partial<Omit<HttpOptions, 'fetch'>>;
  maxImageBytes?: number;
  /** Turns kept in memory per session: the ceiling on prompt history when no limit applies. */
  maxHistoryTurns?: number;
  now?: () => Date;
}

export interface AgentErrorInfo {
  message: string;
  kind: ModelErrorKind;
  /** ISO time. */
  at: string;
}

export interface AgentStatus {
  configured: boolean;
  /** "<provider>/<model>" when one is configured (also when it is misconfigured), else null. */
  model: string | null;
  /** Why the agent is not configured ("no model configured", or the config error), else null. */
  reason: string | null;
  /** The last failed model call; cleared by the next successful one. */
  lastError: AgentErrorInfo | null;
}

export interface ReplyRequest {
  sessionKey: string;
  /** The formatted inbound envelope (see envelope.ts). */
  envelope: string;
  /** Attached files; image/* ones are shown to vision-capable models. */
  images?: Array<{ mime: string; path: string }>;
  /** Prior history kept, in user turns (see sessions.ts `resolveHistoryLimit`); undefined = no limit. */
  historyLimit?: number;
  signal?: AbortSignal;
}

export interface ReplyResult {
  /** The text to send (responsePrefix applied), or null when there is nothing to send. */
  text: string | null;
  /** Why `text` is null: the model answered NO_REPLY, or an empty reply. */
  suppressed?: 'NO_REPLY' | 'empty';
}

export interface Agent {
  readonly settings: AgentSettings;
  readonly status: AgentStatus;
  /** Session key for a conversation under this agent's id and dmScope. */
  sessionKey(target: SessionTarget): string;
  /**
   * Produces the reply to one inbound envelope. Replies in one session run one at a time, in call
   * order, so each sees the previous exchange. Throws `ModelError` when the model cannot be
   * reached or rejects the request (also recorded in `status.lastError`), or with kind
   * `not-configured` when `status.configured` is false.
   */
  reply(request: ReplyRequest): Promise<ReplyResult>;
  /** Applies a new config (model, prefix, scope). Sessions in memory are kept if the agent id is unchanged. */
  reconfigure(config: AgentConfigInput, env?: AgentEnv): void;
  /** Waits for pending transcript writes. */
  close(): Promise<void>;
}

export function systemPrompt(assistantName: string): string {
  return [
    `You are ${assistantName}, a personal AI assistant chatting over iMessage.`,
    'Each user message starts with an envelope like "[iMessage +15550001111 2026-01-17 09:30 UTC]" naming the sender (and the group, in group chats).',
    'Reply in plain text, briefly, as in a text message; no Markdown headings or tables.',
    `If a message needs no answer from you (for example group chatter not meant for you), reply with exactly ${NO_REPLY}.`,
  ].join('\n');
}

export function createAgent(options: CreateAgentOptions): Agent {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());
  const maxImageBytes = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;

  let settings: AgentSettings;
  let settingsError: string | null;
  let resolution: ModelResolution;
  let provider: ModelProvider | null;
  let prompt: string;
  let store: SessionStore | undefined;
  let lastError: AgentErrorInfo | null = null;
  /** One session's replies run in order (its transcript grows one turn pair at a time). */
  const queues = new KeyedSerialQueue<string>();

  function configure(config: AgentConfigInput, env: AgentEnv): void {
    const previousAgentId = store ? settings.agentId : undefined;
    try {
      settings = resolveAgentSettings(config);
      settingsError = null;
    } catch (error) {
      if (!(error instanceof AgentConfigError)) throw error;
      settings = resolveAgentSettings({});
      settingsError = error.message;
    }
    resolution = resolveModel(config, env);
    provider = resolution.configured && !settingsError ? createProvider(resolution) : null;
    prompt = systemPrompt(settings.assistantName);
    lastError = null;
    if (settings.agentId !== previousAgentId) {
      // Writes already queued on the old store finish on their own (its promises hold it).
      store = createSessionStore({
        dir: join(options.stateDir, 'agents', settings.agentId, 'sessions'),
        logger,
        ...(options.maxHistoryTurns === undefined ? {} : { maxCachedTurns: options.maxHistoryTurns }),
      });
    }
    if (!resolution.configured) {
      // No model at all is a state, not a problem: the gateway reports it in its own words (its
      // start-up line, status), which also know whether demo mode's stand-in answers instead.
      const data = { reason: resolution.reason };
      if (resolution.kind === 'unset') logger.debug('agent: no model configured', data);
      else logger.warn('agent not configured: incoming messages will not be answered', data);
    } else if (settingsError) {
      logger.warn('agent settings invalid', { reason: settingsError });
    }
  }

  function createProvider(model: ResolvedModel): ModelProvider {
    const http: HttpOptions = {
      ...DEFAULT_HTTP_OPTIONS,
      ...(settings.requestTimeoutMs === undefined ? {} : { timeoutMs: settings.requestTimeoutMs }),
      ...options.http,
      fetch: options.fetch ?? nodeHttpFetch,
      onRetry: ({ attempt, delayMs, reason }) => logger.warn('model request failed; retrying', { model: model.ref, attempt, delayMs, reason }),
    };
    return model.api === 'anthropic-messages' ? createAnthropicProvider(model, http) : createOpenAiProvider(model, http);
  }

  async function loadImages(images: ReplyRequest['images'], model: ResolvedModel): Promise<{ inputs: ImageInput[]; notes: string[] }> {
    const inputs: ImageInput[] = [];
    const notes: string[] = [];
    for (const image of images ?? []) {
      if (!image.mime.startsWith('image/')) continue;
      const name = basename(image.path);
      if (!model.vision) {
        notes.push(`[image ${name} not shown to you: model ${model.ref} does not accept images]`);
      } else if (!VISION_MIME_TYPES.has(image.mime)) {
        notes.push(`[image ${name} not shown to you: ${image.mime} is not supported (JPEG, PNG, GIF or WebP only)]`);
      } else {
        try {
          const { size } = await fs.stat(image.path);
          if (size > maxImageBytes) {
            notes.push(`[image ${name} not shown to you: ${formatFileSize(size)} exceeds the ${formatFileSize(maxImageBytes)} image limit]`);
            continue;
          }
          inputs.push({ mime: image.mime, base64: (await fs.readFile(image.path)).toString('base64') });
        } catch (error) {
          logger.warn('cannot read image attachment', { path: image.path, error: String(error) });
          notes.push(`[image ${name} could not be read]`);
        }
      }
    }
    return { inputs, notes };
  }

  async function run(request: ReplyRequest, model: ResolvedModel, modelProvider: ModelProvider, sessions: SessionStore): Promise<ReplyResult> {
    const started = performance.now();
    const history = trimToUserTurns(await sessions.history(request.sessionKey), request.historyLimit);
    const { inputs, notes } = await loadImages(request.images, model);
    const userTurn: TranscriptTurn = {
      role: 'user',
      text: notes.length > 0 ? `${request.envelope}\n${notes.join('\n')}` : request.envelope,
      ts: now().toISOString(),
    };
    const imageRefs = request.images?.filter((i) => i.mime.startsWith('image/'));
    if (imageRefs && imageRefs.length > 0) userTurn.images = imageRefs;

    const turns = toAlternatingTurns(history, { role: 'user', text: userTurn.text, images: inputs });
    let text: string;
    try {
      ({ text } = await modelProvider.complete({ system: prompt, turns }, request.signal));
    } catch (error) {
      // Keep the person's message in the transcript: the next reply should still know it was said.
      void sessions.append(request.sessionKey, [userTurn]);
      const info = error instanceof ModelError ? error : new ModelError('network', String(error), { provider: model.provider, cause: error });
      // A cancelled call (shutdown, reload) says nothing about the model's health.
      if (info.kind === 'aborted') throw info;
      lastError = { message: info.message, kind: info.kind, at: now().toISOString() };
      logger.error('model request failed', { model: model.ref, kind: info.kind, status: info.status, error: info.message });
      throw info;
    }
    lastError = null;
    void sessions.append(request.sessionKey, [userTurn, { role: 'assistant', text, ts: now().toISOString(), model: model.ref }]);
    logger.debug('model replied', { model: model.ref, session: request.sessionKey, ms: Math.round(performance.now() - started) });
    return shapeReply(text, settings.responsePrefix);
  }

  configure(options.config, options.env ?? process.env);

  return {
    get settings() {
      return settings;
    },
    get status(): AgentStatus {
      return {
        configured: provider !== null,
        model: resolution.configured ? resolution.ref : (resolution.ref ?? null),
        reason: resolution.configured ? settingsError : resolution.reason,
        lastError,
      };
    },
    sessionKey: (target) => sessionKeyFor(settings.agentId, target, settings.dmScope),
    reply(request) {
      const model = resolution;
      const modelProvider = provider;
      const sessions = store!;
      if (!model.configured || !modelProvider) {
        const reason = model.configured ? (settingsError ?? 'agent not configured') : model.reason;
        return Promise.reject(new ModelError('not-configured', `agent not configured: ${reason}`, { provider: model.configured ? model.provider : 'none' }));
      }
      return queues.run(request.sessionKey, () => run(request, model, modelProvider, sessions));
    },
    reconfigure(config, env) {
      configure(config, env ?? options.env ?? process.env);
    },
    async close() {
      await queues.idle();
      await store?.flush();
    },
  };
}

/** Applies `messages.responsePrefix` and the NO_REPLY convention to the model's raw text. */
export function shapeReply(raw: string, responsePrefix: string): ReplyResult {
  const text = raw.trim();
  if (text === NO_REPLY) return { text: null, suppressed: 'NO_REPLY' };
  if (!text) return { text: null, suppressed: 'empty' };
  const prefix = responsePrefix.trim();
  if (!prefix || text.startsWith(prefix)) return { text };
  return { text: `${prefix} ${text}` };
}

/**
 * History plus the new turn, as both APIs want it: starting with a user turn, roles alternating
 * (consecutive turns of one role, e.g. a message whose reply failed, are merged), no empty turns.
 * Images are only sent with the new turn; older ones were already seen.
 */
export function toAlternatingTurns(history: readonly TranscriptTurn[], next: ChatTurn): ChatTurn[] {
  const turns: ChatTurn[] = [];
  for (const turn of [...history, next]) {
    if (turn !== next && !turn.text.trim()) continue;
    if (turns.length === 0 && turn.role !== 'user') continue;
    const last = turns[turns.length - 1];
    if (last && last.role === turn.role) {
      last.text = `${last.text}\n\n${turn.text}`;
      const images = turn === next ? next.images : undefined;
      if (images?.length) last.images = [...(last.images ?? []), ...images];
    } else {
      const copy: ChatTurn = { role: turn.role, text: turn.text };
      if (turn === next && next.images?.length) copy.images = next.images;
      turns.push(copy);
    }
  }
  return turns;
}
