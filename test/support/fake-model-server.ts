// A local stand-in for the model vendors: a real HTTP server on 127.0.0.1 that speaks the
// Anthropic Messages API (`POST /v1/messages`) and the OpenAI chat completions API
// (`POST /chat/completions`, `POST /v1/chat/completions`), non-streaming.
//
// It checks requests the way the real APIs do (auth header, required fields, message shapes) and
// answers with the vendors' response and error JSON shapes, so a client that works here sends what
// the real endpoints expect. What it answers is programmable: echo the last user text (default),
// fixed text, a script of steps (e.g. 500 then 200), delays, status codes, headers.
// Fast on purpose: benchmarks use it as the "instant model".
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeProvider = 'anthropic' | 'openai';

export interface FakeRequest {
  provider: FakeProvider;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined when it was not JSON). */
  body: any;
  /** Text of the last user message (text parts joined with "\n"). */
  lastUserText: string;
  /** Number of images in the last user message. */
  lastUserImages: number;
  /** `performance.now()` when the body was complete. */
  receivedAt: number;
}

export interface FakeStep {
  /** HTTP status (default 200). Non-2xx statuses get the vendor's error JSON. */
  status?: number;
  /** Reply text for 2xx (default: `echo: <last user text>`). */
  text?: string;
  /** Wait before answering. */
  delayMs?: number;
  headers?: Record<string, string>;
  /** Error message for non-2xx statuses. */
  errorMessage?: string;
  /** Raw JSON body to send instead of the generated one (e.g. a malformed response). */
  body?: unknown;
}

/**
 * `'echo'` (default) | one step for every request | a script consumed one step per request (then
 * echo) | a function deciding per request.
 */
export type FakeBehavior = 'echo' | FakeStep | FakeStep[] | ((request: FakeRequest) => FakeStep | Promise<FakeStep>);

export interface FakeModelServerOptions {
  /** 0 (default) = any free port. */
  port?: number;
  /** The only accepted API key (default "test-key"); null accepts any non-empty key. */
  apiKey?: string | null;
  /** Known model ids; other models get the vendor's 404. Default: every model exists. */
  models?: string[];
  /** Keep every request in `requests` (default true; benchmarks turn it off). */
  record?: boolean;
  behavior?: FakeBehavior;
}

export interface FakeModelServer {
  /** `http://127.0.0.1:<port>`: use as the Anthropic base URL, or `${url}/v1` for OpenAI. */
  url: string;
  port: number;
  requests: FakeRequest[];
  setBehavior(behavior: FakeBehavior): void;
  close(): Promise<void>;
}

class ApiError {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly code?: string,
    readonly param?: string,
  ) {}
}

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

const ANTHROPIC_IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

function anthropicErrorBody(status: number, message: string) {
  return { type: 'error', error: { type: ANTHROPIC_ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message } };
}

function openAiErrorBody(status: number, message: string, code?: string, param?: string) {
  const type = status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message, type, param: param ?? null, code: code ?? null } };
}

function defaultErrorMessage(provider: FakeProvider, status: number): string {
  if (status === 429) return provider === 'anthropic' ? 'Number of request tokens has exceeded your rate limit.' : 'Rate limit reached for requests';
  if (status === 529) return 'Overloaded';
  if (status >= 500) return provider === 'anthropic' ? 'Internal server error' : 'The server had an error while processing your request. Sorry about that!';
  return `Error ${status}`;
}

function textOfContent(content: unknown): { text: string; images: number } {
  if (typeof content === 'string') return { text: content, images: 0 };
  if (!Array.isArray(content)) return { text: '', images: 0 };
  const texts: string[] = [];
  let images = 0;
  for (const part of content) {
    if (part?.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    if (part?.type === 'image' || part?.type === 'image_url') images++;
  }
  return { text: texts.join('\n'), images };
}

function lastUser(body: any): { text: string; images: number } {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'user') return textOfContent(messages[i].content);
  return { text: '', images: 0 };
}

// --- request validation, worded like the vendors -----------------------------------------------

function checkAnthropic(headers: IncomingHttpHeaders, body: any, options: Required<Pick<FakeModelServerOptions, 'apiKey'>> & FakeModelServerOptions): void {
  const key = headers['x-api-key'];
  if (typeof key !== 'string' || key === '') throw new ApiError(401, 'x-api-key header is required');
  if (options.apiKey !== null && key !== options.apiKey) throw new ApiError(401, 'invalid x-api-key');
  if (!headers['anthropic-version']) throw new ApiError(400, 'anthropic-version: header is required');
  if (body === undefined || typeof body !== 'object' || body === null) throw new ApiError(400, 'There was an error parsing the body of your request');
  if (typeof body.model !== 'string' || body.model === '') throw new ApiError(400, 'model: Field required');
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) throw new ApiError(400, 'max_tokens: Field required (a positive integer)');
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system)) throw new ApiError(400, 'system: Input should be a valid string or list');
  if (!Array.isArray(body.messages)) throw new ApiError(400, 'messages: Field required');
  if (body.messages.length === 0) throw new ApiError(400, 'messages: at least one message is required');
  body.messages.forEach((message: any, i: number) => {
    if (message?.role !== 'user' && message?.role !== 'assistant') throw new ApiError(400, `messages.${i}.role: Input should be 'user' or 'assistant'`);
    const content = message.content;
    if (typeof content === 'string') {
      if (content === '' && i < body.messages.length - 1) throw new ApiError(400, `messages.${i}: all messages must have non-empty content`);
      return;
    }
    if (!Array.isArray(content) || content.length === 0) throw new ApiError(400, `messages.${i}.content: Input should be a valid string or a non-empty list`);
    content.forEach((block: any, j: number) => {
      const where = `messages.${i}.content.${j}`;
      if (block?.type === 'text') {
        if (typeof block.text !== 'string') throw new ApiError(400, `${where}.text: Field required`);
        if (block.text === '') throw new ApiError(400, 'messages: text content blocks must be non-empty');
      } else if (block?.type === 'image') {
        const source = block.source;
        if (source?.type !== 'base64') throw new ApiError(400, `${where}.source.type: Input should be 'base64', 'url' or 'file'`);
        if (!ANTHROPIC_IMAGE_TYPES.has(source.media_type)) {
          throw new ApiError(400, `${where}.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`);
        }
        if (typeof source.data !== 'string' || source.data === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(source.data)) {
          throw new ApiError(400, `${where}.source.data: invalid base64 data`);
        }
      } else {
        throw new ApiError(400, `${where}.type: Input tag '${String(block?.type)}' found using 'type' does not match any of the expected tags`);
      }
    });
  });
  if (body.messages[0].role !== 'user') throw new ApiError(400, 'messages: first message must use the "user" role');
  if (options.models && !options.models.includes(body.model)) throw new ApiError(404, `model: ${body.model}`);
}

const OPENAI_ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

function checkOpenAi(headers: IncomingHttpHeaders, body: any, options: Required<Pick<FakeModelServerOptions, 'apiKey'>> & FakeModelServerOptions): void {
  const auth = headers.authorization;
  const key = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : '';
  if (!key) {
    throw new ApiError(401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
  }
  if (options.apiKey !== null && key !== options.apiKey) {
    throw new ApiError(401, `Incorrect API key provided: ${key.slice(0, 3)}***${key.slice(-4)}.`, 'invalid_api_key');
  }
  if (body === undefined || typeof body !== 'object' || body === null) throw new ApiError(400, 'We could not parse the JSON body of your request.');
  if (typeof body.model !== 'string' || body.model === '') throw new ApiError(400, 'you must provide a model parameter');
  if (!Array.isArray(body.messages)) throw new ApiError(400, "Missing required parameter: 'messages'.", 'missing_required_parameter', 'messages');
  if (body.messages.length === 0) throw new ApiError(400, "Invalid 'messages': empty array. Expected an array with minimum length 1.", 'empty_array', 'messages');
  body.messages.forEach((message: any, i: number) => {
    if (!OPENAI_ROLES.has(message?.role)) throw new ApiError(400, `Invalid value: '${String(message?.role)}'. Supported values are: 'system', 'assistant', 'user', 'tool', and 'developer'.`, 'invalid_value', `messages[${i}].role`);
    const content = message.content;
    if (typeof content === 'string') return;
    if (!Array.isArray(content)) throw new ApiError(400, `Invalid type for 'messages[${i}].content'.`, 'invalid_type', `messages[${i}].content`);
    content.forEach((part: any, j: number) => {
      const param = `messages[${i}].content[${j}]`;
      if (part?.type === 'text') {
        if (typeof part.text !== 'string') throw new ApiError(400, `Missing required parameter: '${param}.text'.`, 'missing_required_parameter', `${param}.text`);
      } else if (part?.type === 'image_url') {
        const url = part.image_url?.url;
        if (typeof url !== 'string' || !/^(https?:\/\/|data:image\/[a-z+.-]+;base64,)/.test(url)) {
          throw new ApiError(400, `Invalid image URL: '${param}.image_url.url'. Expected a base64-encoded data URL with an image MIME type or an http(s) URL.`, 'invalid_value', `${param}.image_url.url`);
        }
      } else {
        throw new ApiError(400, `Invalid value: '${String(part?.type)}'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', and 'file'.`, 'invalid_value', `${param}.type`);
      }
    });
  });
  if (body.max_tokens !== undefined && (!Number.isInteger(body.max_tokens) || body.max_tokens < 1)) {
    throw new ApiError(400, "Invalid 'max_tokens': integer below minimum value.", 'integer_below_min_value', 'max_tokens');
  }
  if (options.models && !options.models.includes(body.model)) {
    throw new ApiError(404, `The model \`${body.model}\` does not exist or you do not have access to it.`, 'model_not_found');
  }
}

// --- responses ---------------------------------------------------------------------------------

let idCounter = 0;
const approxTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

function successBody(provider: FakeProvider, request: FakeRequest, text: string): unknown {
  const id = (++idCounter).toString(36).padStart(8, '0');
  const model = String(request.body?.model ?? '');
  const inputTokens = approxTokens(JSON.stringify(request.body?.messages ?? ''));
  if (provider === 'anthropic') {
    return {
      id: `msg_fake${id}`,
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: approxTokens(text) },
    };
  }
  return {
    id: `chatcmpl-fake${id}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: inputTokens, completion_tokens: approxTokens(text), total_tokens: inputTokens + approxTokens(text) },
  };
}

function errorBody(provider: FakeProvider, error: ApiError): unknown {
  return provider === 'anthropic' ? anthropicErrorBody(error.status, error.message) : openAiErrorBody(error.status, error.message, error.code, error.param);
}

function providerFor(path: string): FakeProvider | undefined {
  if (path === '/v1/messages') return 'anthropic';
  if (path === '/chat/completions' || path === '/v1/chat/completions') return 'openai';
  return undefined;
}

export async function startFakeModelServer(options: FakeModelServerOptions = {}): Promise<FakeModelServer> {
  const settings = { ...options, apiKey: options.apiKey === undefined ? 'test-key' : options.apiKey };
  const record = options.record ?? true;
  const requests: FakeRequest[] = [];
  let behavior: FakeBehavior = options.behavior ?? 'echo';
  let script: FakeStep[] = Array.isArray(behavior) ? [...behavior] : [];
  const timers = new Set<NodeJS.Timeout>();

  async function nextStep(request: FakeRequest): Promise<FakeStep> {
    if (typeof behavior === 'function') return behavior(request);
    if (Array.isArray(behavior)) return script.shift() ?? {};
    if (behavior === 'echo') return {};
    return behavior;
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers });
    res.end(payload);
  }

  function wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const provider = providerFor(path);
    if (!provider || req.method !== 'POST') {
      send(res, 404, { error: { message: `Unknown request URL: ${req.method} ${path}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
      return;
    }
    let body: any;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const user = lastUser(body);
    const request: FakeRequest = {
      provider,
      method: req.method,
      path,
      headers: req.headers,
      body,
      lastUserText: user.text,
      lastUserImages: user.images,
      receivedAt: performance.now(),
    };
    if (record) requests.push(request);

    try {
      if (provider === 'anthropic') checkAnthropic(req.headers, body, settings);
      else checkOpenAi(req.headers, body, settings);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      send(res, error.status, errorBody(provider, error));
      return;
    }

    const step = await nextStep(request);
    if (step.delayMs && step.delayMs > 0) await wait(step.delayMs);
    if (res.destroyed) return;
    const status = step.status ?? 200;
    if (step.body !== undefined) {
      send(res, status, step.body, step.headers);
    } else if (status >= 200 && status < 300) {
      send(res, status, successBody(provider, request, step.text ?? `echo: ${user.text}`), step.headers);
    } else {
      send(res, status, errorBody(provider, new ApiError(status, step.errorMessage ?? defaultErrorMessage(provider, status))), step.headers);
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, { error: { message: `fake model server: ${String(error)}`, type: 'server_error', param: null, code: null } });
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setBehavior(next) {
      behavior = next;
      script = Array.isArray(next) ? [...next] : [];
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
