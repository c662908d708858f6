import { createHash, randomBytes } from 'node:crypto';
import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import type { WorkflowProgress } from '@peakstock/contracts';
import { DomainError, ErrorCodes, notFound } from '@peakstock/domain';
import { queryRows } from '@peakstock/persistence';
import { INTERNAL_ROLES, type AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser, Public } from '../auth/decorators';
import { TokenService } from '../auth/token.service';
import { SkipIdempotency } from '../idempotency/idempotency.interceptor';
import { KpisQuery } from '../kpis/kpis.dto';
import { KpisService } from '../kpis/kpis.service';
import { ProgressEventsService } from './progress-events.service';

const TICKET_SECONDS = 60;
const HEARTBEAT_MS = 15_000;
/** Backstop re-read, should a notice be missed while the LISTEN connection reconnects. */
const POLL_MS = 5_000;
/** How often a KPI stream recomputes its figures (orders notify nothing: they are polled). */
const KPI_POLL_MS = 2_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Takes the response over from Fastify and starts a server-sent event stream on it; answers the raw response. */
function openEventStream(req: FastifyRequest, reply: FastifyReply) {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Proxies (nginx) must pass each event on at once rather than buffer the stream.
    'x-accel-buffering': 'no',
    'x-request-id': String(req.id),
  });
  return raw;
}

@ApiTags('workflows')
@Controller('v1')
export class SseController {
  constructor(
    private readonly db: DataSource,
    private readonly tokens: TokenService,
    private readonly events: ProgressEventsService,
    private readonly kpis: KpisService,
  ) {}

  @Post('sse-tickets')
  @HttpCode(201)
  @SkipIdempotency()
  @Allow('signed-in')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'A single-use, 60-second ticket for an EventSource URL (browsers cannot send headers)',
  })
  async ticket(@CurrentUser() user: AuthUser) {
    const ticket = randomBytes(32).toString('base64url');
    const rows: { expires_at: Date }[] = await this.db.query(
      `INSERT INTO sse_tickets (ticket_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
       RETURNING expires_at`,
      [sha256(ticket), user.id, TICKET_SECONDS],
    );
    return { ticket, expiresAt: rows[0]!.expires_at.toISOString() };
  }

  @Get('workflows/:id/events')
  @Public() // authenticated here: a bearer token or a ticket
  @ApiQuery({ name: 'ticket', required: false })
  @ApiOperation({ summary: "Server-sent events: the workflow's progress now and at every change" })
  async stream(
    @Param('id') id: string,
    @Query('ticket') ticket: unknown,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.internalReader(req, ticket, 'workflows');
    const read = async () =>
      (
        (await this.db.query('SELECT progress FROM workflow_projections WHERE workflow_id = $1', [id])) as {
          progress: WorkflowProgress;
        }[]
      )[0]?.progress;
    const first = await read();
    if (!first) throw notFound('workflow');

    const raw = openEventStream(req, reply);
    let lastVersion = -1;
    let done = false;
    let sending: Promise<void> = Promise.resolve();
    const finish = () => {
      if (done) return;
      done = true;
      clearInterval(heartbeat);
      clearInterval(poll);
      subscription.off?.();
      raw.end();
    };
    const send = (p: WorkflowProgress) => {
      if (done || p.version <= lastVersion) return;
      lastVersion = p.version;
      raw.write(`id: ${p.version}\nevent: progress\ndata: ${JSON.stringify(p)}\n\n`);
      if (p.status !== 'running') {
        raw.write(`event: end\ndata: ${JSON.stringify({ status: p.status })}\n\n`);
        finish();
      }
    };
    // Serialised, so two notices never race and send versions out of order.
    const refresh = () => {
      sending = sending.then(async () => {
        const p = await read().catch(() => undefined);
        if (p) send(p);
      });
    };
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const poll = setInterval(refresh, POLL_MS);
    const subscription: { off?: () => void } = {};
    raw.on('close', finish);
    subscription.off = await this.events.subscribe(id, refresh);
    if (done) subscription.off(); // the client left while we subscribed
    send(first);
    if (!done) refresh(); // a change between the first read and the subscription
  }

  @Get('kpis/stream')
  @Public() // authenticated here: a bearer token or a ticket
  @ApiTags('kpis')
  @ApiQuery({ name: 'ticket', required: false })
  @ApiOperation({
    summary: 'Server-sent events: `kpis` with the body of GET /v1/kpis, now and whenever a figure changes',
  })
  async kpiStream(
    @Query() q: KpisQuery,
    @Query('ticket') ticket: unknown,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.internalReader(req, ticket, 'KPIs');
    const first = await this.kpis.summary(q.saleEvent); // a 404 for an unknown event, before the stream opens

    const raw = openEventStream(req, reply);
    let done = false;
    let last = '';
    let busy = false;
    const send = (k: typeof first) => {
      // `at` moves with the clock; only a changed figure is news.
      const figures = JSON.stringify({ ...k, at: undefined });
      if (done || figures === last) return;
      last = figures;
      raw.write(`event: kpis\ndata: ${JSON.stringify(k)}\n\n`);
    };
    const refresh = async () => {
      if (busy || done) return; // a slow database never stacks up reads
      busy = true;
      try {
        send(await this.kpis.summary(q.saleEvent));
      } catch {
        // the next tick tries again; the client keeps the figures it has
      } finally {
        busy = false;
      }
    };
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const poll = setInterval(() => void refresh(), KPI_POLL_MS);
    raw.on('close', () => {
      done = true;
      clearInterval(heartbeat);
      clearInterval(poll);
    });
    send(first);
  }

  /** The caller by token or ticket, refused unless an internal role (the streams read internal figures). */
  private async internalReader(req: FastifyRequest, ticket: unknown, what: string): Promise<AuthUser> {
    const user = await this.authenticate(req, ticket);
    if (!INTERNAL_ROLES.includes(user.role))
      throw new DomainError(ErrorCodes.FORBIDDEN, `role ${user.role} may not read ${what}`);
    return user;
  }

  private async authenticate(req: FastifyRequest, ticket: unknown): Promise<AuthUser> {
    const wait = this.tokens.refusedFor(req.ip);
    if (wait !== null)
      throw new DomainError(
        ErrorCodes.RATE_LIMITED,
        `too many failed authentications from this address; retry in ${wait} s`,
      );
    try {
      return await this.authenticateOnce(req, ticket);
    } catch (err) {
      // A wrong ticket or token counts as a guess; no credentials at all do not.
      const presented = ticket !== undefined || req.headers.authorization !== undefined;
      if (presented && err instanceof DomainError && err.code === ErrorCodes.UNAUTHENTICATED)
        this.tokens.noteFailure(req.ip);
      throw err;
    }
  }

  private async authenticateOnce(req: FastifyRequest, ticket: unknown): Promise<AuthUser> {
    if (ticket !== undefined) {
      // A repeated or empty ?ticket= is no ticket (and never reaches the hash as an array).
      if (typeof ticket !== 'string' || ticket.length === 0 || ticket.length > 200) {
        throw new DomainError(ErrorCodes.UNAUTHENTICATED, 'malformed SSE ticket');
      }
      const rows = await queryRows<{ user_id: string }>(
        this.db,
        `UPDATE sse_tickets SET used_at = now()
          WHERE ticket_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id`,
        [sha256(ticket)],
      );
      const userId = rows[0]?.user_id;
      const users: AuthUser[] = userId
        ? await this.db.query(
            `SELECT id, name, role, locale, warehouses, channel, supplier, courier FROM users
              WHERE id = $1 AND revoked_at IS NULL`,
            [userId],
          )
        : [];
      if (!users[0]) throw new DomainError(ErrorCodes.UNAUTHENTICATED, 'unknown, used or expired SSE ticket');
      return users[0];
    }
    const match = /^Bearer ([A-Za-z0-9_-]{16,256})$/.exec(req.headers.authorization ?? '');
    const user = match ? await this.tokens.authenticate(match[1]!) : null;
    if (!user) throw new DomainError(ErrorCodes.UNAUTHENTICATED, 'a bearer token or ?ticket= is required');
    return user;
  }
}
