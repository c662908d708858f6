import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ErrorCodes } from '@peakstock/domain';
import type { Role } from '@peakstock/contracts';
import type { AuthUser } from './auth-user';
import { ALLOW_KEY, PUBLIC_KEY } from './decorators';
import { TokenService } from './token.service';

const BEARER = /^Bearer ([A-Za-z0-9_-]{16,256})$/;

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match) throw new DomainError(ErrorCodes.UNAUTHENTICATED, 'missing or malformed bearer token');
    const user = await this.authenticate(match[1]!, req, ctx.switchToHttp().getResponse<FastifyReply>());
    req.user = user;
    const allowed = this.reflector.getAllAndOverride<(Role | 'signed-in')[]>(ALLOW_KEY, targets) ?? [];
    if (allowed.includes('signed-in') || allowed.includes(user.role)) return true;
    throw new DomainError(
      ErrorCodes.FORBIDDEN,
      `role ${user.role} may not ${req.method} ${req.routeOptions.url}`,
    );
  }

  /** The token's user; refuses an address that failed too often this minute before looking the token up. */
  private async authenticate(token: string, req: FastifyRequest, reply: FastifyReply): Promise<AuthUser> {
    const wait = this.tokens.refusedFor(req.ip);
    if (wait !== null) {
      void reply.header('retry-after', String(wait));
      throw new DomainError(
        ErrorCodes.RATE_LIMITED,
        `too many failed authentications from this address; retry in ${wait} s`,
      );
    }
    const user = await this.tokens.authenticate(token);
    if (!user) {
      this.tokens.noteFailure(req.ip);
      throw new DomainError(ErrorCodes.UNAUTHENTICATED, 'unknown or revoked token');
    }
    return user;
  }
}
