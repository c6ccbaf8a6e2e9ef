// The node's local API on plain node:http: routes by method and path, JSON bodies up to a limit,
// and every error in Fastify's shape. A node has a handful of routes; Fastify's ~15 MB of
// validators and serializers is more than a Pi Zero's 512 MB can spare for them.

import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ListenOptions } from 'node:net';
import type { Logger } from 'pino';
import { JSON_BODY_MAX_DEPTH, holdsLoneSurrogate, jsonDepth } from '@unibos/mesh-protocol';
import { FirmwareError } from '../firmware-error.ts';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The parsed JSON (or text/plain string) of a POST; undefined when it came without one. */
  body: unknown;
}

export interface ApiReply {
  code(status: number): ApiReply;
  /** Sends the handler's string as is with this content type, instead of as JSON. */
  type(contentType: string): ApiReply;
}

export type ApiHandler = (req: ApiRequest, reply: ApiReply) => unknown;

export interface JsonApiOptions {
  routes: Record<string, ApiHandler>;
  bodyLimit: number;
  logger: Logger;
  /** Whether a 500 tells the caller the failure's message (true on the owner-only socket). */
  showInternal: boolean;
  /** "the node's API": completes "GET /x is not part of ...". */
  apiName: string;
}

/** An error the caller can fix, answered with this HTTP status and E_BAD_REQUEST. */
class RequestError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export class JsonApiServer {
  readonly server: Server;

  constructor(private readonly options: JsonApiOptions) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Resolves once bound; rejects with the listen error (EADDRINUSE, EACCES) otherwise. */
  listen(where: ListenOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(where, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
  }

  /** Stops accepting, lets requests in flight finish and drops idle keep-alive connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    let status = 200;
    let contentType: string | undefined;
    const reply: ApiReply = {
      code: (n) => ((status = n), reply),
      type: (t) => ((contentType = t), reply),
    };
    try {
      // HEAD answers as GET does, without the body (node:http drops it), as Fastify's HEAD routes do.
      const handler = this.options.routes[`${method === 'HEAD' ? 'GET' : method} ${url.pathname}`];
      if (!handler || method !== 'POST') req.resume();
      if (!handler) throw new NotFound(method, url.pathname);
      const body = method === 'POST' ? await this.readBody(req) : undefined;
      const result = await handler({ method, path: url.pathname, query: url.searchParams, body }, reply);
      if (contentType !== undefined) send(res, status, contentType, String(result));
      else send(res, status, 'application/json; charset=utf-8', JSON.stringify(result));
    } catch (err) {
      this.fail(req, res, method, url.pathname, err);
    }
  }

  private fail(req: IncomingMessage, res: ServerResponse, method: string, path: string, err: unknown): void {
    if (err instanceof NotFound) return sendError(res, 404, 'E_NOT_FOUND', `${method} ${path} is not part of ${this.options.apiName}`);
    if (err instanceof FirmwareError && (err.code === 'E_BAD_REQUEST' || err.code === 'E_TEXT_TOO_LONG' || err.code === 'E_NO_KEY')) return sendError(res, 400, err.code, err.message);
    if (err instanceof FirmwareError && err.code === 'E_NO_RADIO') return sendError(res, 409, err.code, err.message);
    if (err instanceof RequestError) return sendError(res, err.statusCode, 'E_BAD_REQUEST', err.message);
    // Not the caller's mistake nor the node failing: try again once messages have gone.
    if (err instanceof FirmwareError && err.code === 'E_OUTBOX_FULL') return sendError(res, 503, err.code, err.message);
    this.options.logger.error({ err, method, url: req.url }, 'control API request failed');
    const code = err instanceof FirmwareError ? err.code : 'E_INTERNAL';
    sendError(res, 500, code, this.options.showInternal ? messageOf(err) : 'internal error; see the node log');
  }

  /** The body of a POST, parsed by its content type; a body over the limit is refused unread. */
  private readBody(req: IncomingMessage): Promise<unknown> {
    const limit = this.options.bodyLimit;
    const tooLarge = (): RequestError => new RequestError(400, `the request body is larger than ${limit / 1024} KiB`);
    return new Promise((resolve, reject) => {
      const refuse = (err: RequestError): void => {
        // The rest is read and dropped, so the answer is not lost in a reset connection.
        req.removeAllListeners('data');
        req.resume();
        reject(err);
      };
      const declared = Number(req.headers['content-length'] ?? NaN);
      if (declared > limit) return refuse(tooLarge());
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) refuse(tooLarge());
        else chunks.push(chunk);
      });
      req.on('error', reject);
      req.on('end', () => {
        if (size > limit) return;
        try {
          resolve(parseBody(req.headers['content-type'], Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err);
        }
      });
    });
  }
}

class NotFound extends Error {
  constructor(method: string, path: string) {
    super(`${method} ${path}`);
  }
}

/** JSON and plain text, as Fastify's default parsers take them; anything else is 415. */
function parseBody(contentType: string | undefined, text: string): unknown {
  const type = contentType?.split(';')[0]!.trim().toLowerCase();
  if (type === undefined || type === '') {
    if (text === '') return undefined;
    throw new RequestError(415, 'a request body needs a content-type; send application/json');
  }
  if (type === 'application/json') {
    if (text === '') throw new RequestError(400, "the body cannot be empty when content-type is set to 'application/json'");
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch {
      throw new RequestError(400, "the body is not valid JSON but content-type is set to 'application/json'");
    }
    // What the hub's API refuses at its door, this one does too (a text with half a UTF-16 pair went
    // on as bytes no UTF-8 reader takes, and the outbox dropped it after the 202).
    if (jsonDepth(value, JSON_BODY_MAX_DEPTH) > JSON_BODY_MAX_DEPTH) throw new RequestError(400, `the JSON body is nested more than ${JSON_BODY_MAX_DEPTH} levels deep`);
    if (holdsLoneSurrogate(value)) throw new RequestError(400, 'the JSON body holds text that is not valid Unicode (half of a UTF-16 surrogate pair)');
    return value;
  }
  if (type === 'text/plain') return text;
  throw new RequestError(415, `unsupported media type: ${type}; send application/json`);
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: ServerResponse, statusCode: number, code: string, message: string): void {
  send(res, statusCode, 'application/json; charset=utf-8', JSON.stringify({ statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message }));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A query parameter that must be an integer in [min, max], or absent. Unknown parameters are
 * ignored, as Fastify's schema (with its default removeAdditional) did.
 */
export function integerParam(query: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const values = query.getAll(name);
  if (values.length === 0) return undefined;
  const n = Number(values[0]);
  if (values.length > 1 || values[0]!.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new RequestError(400, `querystring/${name} must be an integer from ${min} to ${max}`);
  }
  return n;
}
