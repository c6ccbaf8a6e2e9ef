// Messenger attachment routes: upload an already-encrypted blob as the raw body (at most the
// configured size; a refusal is counted), fetch it back (its uploader and the members of a
// conversation a message referred to it in), and take back an upload whose send failed.

import type { FastifyPluginAsync } from 'fastify';
import { errorResponses, errorSchema } from '../api/schemas.ts';
import type { Guard } from '../auth/guard.ts';
import { HubError } from '../hub-error.ts';
import type { MessageRelay } from './message-relay.ts';
import type { MessengerMetrics } from './messenger-metrics.ts';
import { uuid } from './messenger-schemas.ts';

export interface AttachmentRoutesOptions {
  relay: MessageRelay;
  guard: Guard;
  metrics: MessengerMetrics;
  maxBytes: number;
}

export const attachmentRoutes: FastifyPluginAsync<AttachmentRoutesOptions> = async (app, { relay, guard, metrics, maxBytes }) => {
  const security = [{ bearer: [] }];
  const tags = ['messenger'];

  // Encapsulated: only these routes take raw bytes. Read here (not with Fastify's bodyLimit) so
  // an oversized upload gets the messenger's own E_TOO_LARGE and is counted.
  app.addContentTypeParser('application/octet-stream', (req, payload, done) => {
    const tooLarge = (): void => {
      metrics.refused.inc({ reason: 'attachment_too_large' });
      done(new HubError('E_TOO_LARGE', `an attachment is at most ${maxBytes} bytes`), undefined);
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      payload.resume();
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    payload.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    payload.on('end', () => {
      if (!failed) done(null, Buffer.concat(chunks, size));
    });
    payload.on('error', (err) => {
      if (!failed) done(err, undefined);
    });
  });

  app.post<{ Body: Buffer }>('/api/v1/messenger/attachments', {
    // Checked as the request arrives: nobody unauthenticated gets to upload megabytes first.
    onRequest: guard('send'),
    bodyLimit: maxBytes + 1024,
    schema: {
      tags, security,
      summary: `Upload an encrypted attachment (Content-Type: application/octet-stream, at most ${maxBytes} bytes); refer to its id in a message's attachments`,
      response: { 201: { type: 'object', properties: { id: { type: 'string' }, bytes: { type: 'integer' }, createdAt: { type: 'string' } } }, ...errorResponses, 413: errorSchema, 415: errorSchema },
    },
  }, async (req, reply) => {
    if (!Buffer.isBuffer(req.body)) return reply.code(415).send({ statusCode: 415, code: 'E_BAD_REQUEST', error: 'Unsupported Media Type', message: 'send the encrypted blob as application/octet-stream' });
    return reply.code(201).send(relay.upload(req.auth!.orgId, req.auth!.userId, req.body));
  });

  app.get<{ Params: { id: string } }>('/api/v1/messenger/attachments/:id', {
    preHandler: guard('read'),
    schema: { tags, security, summary: 'An encrypted attachment, for a member of a conversation a message referred to it in', params: { type: 'object', required: ['id'], properties: { id: uuid } }, response: { ...errorResponses } },
  }, async (req, reply) => reply.type('application/octet-stream').header('cache-control', 'private, no-store').send(relay.download(req.auth!.orgId, req.auth!.userId, req.params.id)));

  app.delete<{ Params: { id: string } }>('/api/v1/messenger/attachments/:id', {
    preHandler: guard('send'),
    schema: { tags, security, summary: 'Take back an upload no message refers to (its send failed), so it stops counting against your unsent uploads; 409 once a message refers to it', params: { type: 'object', required: ['id'], properties: { id: uuid } }, response: { 204: { type: 'null' }, ...errorResponses, 409: errorSchema } },
  }, async (req, reply) => {
    relay.discard(req.auth!.orgId, req.auth!.userId, req.params.id);
    return reply.code(204).send();
  });
};
