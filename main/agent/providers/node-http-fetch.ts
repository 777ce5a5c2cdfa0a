// The `fetch` the model providers use by default: node:http/https with keep-alive agents, returning
// a standard Response. Why not the global fetch (undici): per request it costs about 0.7–1 ms more
// CPU (WHATWG streams and request objects on both sides), which was the largest part of the
// gateway's CPU per reply when the model answers instantly (measured with `npm run bench`).
//
// Only what postJson (http.ts) needs is supported: a string or URL, method, headers, a string
// body and an AbortSignal. Anything else (a Request object, a stream body) goes to the global fetch.
// Like fetch, a network failure rejects with `TypeError('fetch failed')` carrying the system error
// (ECONNREFUSED…) as `cause`, and an abort rejects with the signal's reason.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';

const httpAgent = new HttpAgent({ keepAlive: true });
const httpsAgent = new HttpsAgent({ keepAlive: true });

/** Statuses whose Response must not have a body (the Response constructor throws otherwise). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

function decode(encoding: string | undefined, body: Buffer): Promise<Buffer> {
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? gunzip : encoding === 'deflate' ? inflate : encoding === 'br' ? brotliDecompress : undefined;
  if (!decoder) return Promise.resolve(body);
  return new Promise((resolve, reject) => decoder(body, (error, out) => (error ? reject(error) : resolve(out))));
}

function toHeaders(raw: IncomingMessage['headers']): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return headers;
}

export const nodeHttpFetch: typeof fetch = (input, init = {}) => {
  const url = typeof input === 'string' ? new URL(input) : input instanceof URL ? input : undefined;
  const body = init.body;
  if (!url || (body != null && typeof body !== 'string') || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return globalThis.fetch(input, init);
  }
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason);

  return new Promise<Response>((resolve, reject) => {
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));
    const secure = url.protocol === 'https:';
    const request = (secure ? httpsRequest : httpRequest)(url, { method: init.method ?? 'GET', headers, agent: secure ? httpsAgent : httpAgent });

    const onAbort = () => request.destroy(signal!.reason instanceof Error ? signal!.reason : new Error(String(signal!.reason)));
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => signal?.removeEventListener('abort', onAbort);
    const failed = (error: Error) => {
      settle();
      reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
    };

    request.on('error', failed);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', failed);
      response.on('end', () => {
        decode(response.headers['content-encoding'], Buffer.concat(chunks)).then(
          (decoded) => {
            settle();
            const status = response.statusCode ?? 0;
            const responseHeaders = toHeaders(response.headers);
            // The body is decoded already; drop the headers that describe the encoded one.
            responseHeaders.delete('content-encoding');
            responseHeaders.delete('content-length');
            resolve(new Response(NULL_BODY_STATUSES.has(status) ? null : decoded, { status, statusText: response.statusMessage ?? '', headers: responseHeaders }));
          },
          (error: Error) => failed(error),
        );
      });
    });
    request.end(body ?? undefined);
  });
};
