import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorBody } from './error-body';

/**
 * The one error body for everything: thrown in handlers, guards and pipes, and (through Nest's Fastify error
 * handler) raised by Fastify before a handler runs: bad JSON, body size, rate limit.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly log = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const req = http.getRequest<FastifyRequest>();
    const { status, body, internal } = toErrorBody(exception);
    if (internal)
      this.log.error({ err: exception, reqId: req?.id }, `${req?.method} ${req?.url} → ${status}`);
    if (status === 429 && !reply.getHeader('retry-after')) void reply.header('Retry-After', '1');
    // JSON whatever the route would have answered (a CSV route's content type must not reach an error body).
    void reply.status(status).type('application/json; charset=utf-8').send(body);
  }
}
