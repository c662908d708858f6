import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Role } from '@peakstock/contracts';
import type { AuthUser } from './auth-user';

export const ALLOW_KEY = 'peakstock:allow';
export const PUBLIC_KEY = 'peakstock:public';

/**
 * The roles that may call a route (the route × role table in route-access.json must agree; a test checks).
 * 'signed-in' admits every role. Scope rules (a lead's warehouses, a channel's own orders) are checked in the
 * service, where the resource is known. A route without @Allow or @Public is refused to everyone.
 */
export const Allow = (...roles: (Role | 'signed-in')[]) => SetMetadata(ALLOW_KEY, roles);
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => {
  const req = ctx.switchToHttp().getRequest<{ user?: AuthUser }>();
  if (!req.user) throw new Error('CurrentUser used on a public route');
  return req.user;
});
