/** Builds the API application; main.ts listens with it, tests build it the same way. */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import { Logger } from 'nestjs-pino';
import type { AppConfig } from '@peakstock/config';
import { ErrorCodes } from '@peakstock/domain';
import { repoRoot } from '@peakstock/temporal';
import { ApiModule } from './api.module';
import { hashToken } from './auth/token.service';
import { overriddenStatus } from './common/http-status';
import { ApiMetrics } from './metrics/metrics';

export const BODY_LIMIT = 1024 * 1024;
export const BATCH_BODY_LIMIT = 5 * 1024 * 1024;
/** Routes that take many records at once get the larger body limit (API.md: batch endpoints 5 MiB). */
const BATCH_ROUTES = new Set(['/v1/orders/batch', '/v1/demand-signals']);

/** Every route the app registered (method, path pattern), for the route × role test. */
export function registeredRoutes(app: NestFastifyApplication): { method: string; path: string }[] {
  return routesByServer.get(app.getHttpAdapter().getInstance()) ?? [];
}
const routesByServer = new WeakMap<object, { method: string; path: string }[]>();

function documentInfo() {
  return new DocumentBuilder()
    .setTitle('PeakStock API')
    .setDescription('One stock pool for every channel, early stock alerts and durable fulfilment workflows.')
    .setVersion('0.1.0')
    .addBearerAuth()
    .build();
}

/**
 * The OpenAPI document the API serves at /openapi.json, built without a database or Temporal: Nest's preview
 * mode reads the modules' routes and DTO metadata without creating any provider. The console's typed client
 * is generated from it (`npm run openapi`).
 */
export async function openApiDocument(config: AppConfig): Promise<OpenAPIObject> {
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.forRoot(config),
    new FastifyAdapter(),
    {
      preview: true,
      logger: false,
    },
  );
  try {
    return SwaggerModule.createDocument(app, documentInfo());
  } finally {
    await app.close();
  }
}

export async function createApiApp(
  config: AppConfig,
  opts: { logs?: boolean } = {},
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    // The client's address (per-address limits) from X-Forwarded-For only through proxies the operator named.
    ...(config.trustProxy !== undefined ? { trustProxy: config.trustProxy } : {}),
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
      // The raw request carries it too, so pino-http's log lines use the same id.
      req.id = id;
      return id;
    },
    // Clients URL-encode workflow ids (which contain ':'); Fastify decodes path params.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 300 },
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config), adapter, {
    bufferLogs: true,
    logger: opts.logs === false ? false : undefined,
  });
  app.useLogger(opts.logs === false ? false : app.get(Logger));
  app.enableShutdownHooks();

  const fastify = app.getHttpAdapter().getInstance();
  const metrics = app.get(ApiMetrics);
  const routes: { method: string; path: string }[] = [];
  routesByServer.set(fastify, routes);
  // Nest registers its routes at init (after this), so the hook sees every one of them.
  fastify.addHook('onRoute', (r) => {
    r.bodyLimit = BATCH_ROUTES.has(r.url) ? BATCH_BODY_LIMIT : BODY_LIMIT;
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, path: r.url });
  });

  await fastify.register(rateLimit, {
    global: true,
    max: config.rateLimit.burst,
    timeWindow: Math.max(1000, Math.round((config.rateLimit.burst / config.rateLimit.perSecond) * 1000)),
    // Per token; unauthenticated calls are limited by address.
    keyGenerator: (req) => {
      const auth = req.headers.authorization;
      return typeof auth === 'string' && auth.startsWith('Bearer ') ? hashToken(auth.slice(7)) : req.ip;
    },
    allowList: (req) => req.url === '/health' || req.url === '/health/ready' || req.url === '/metrics',
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      code: ErrorCodes.RATE_LIMITED,
      message: `rate limit of ${ctx.max} requests per ${ctx.after} exceeded; retry later`,
    }),
  });

  await serveConsole(fastify);

  fastify.addHook('onSend', async (req, reply, payload) => {
    void reply.header('x-request-id', req.id);
    const status = overriddenStatus(reply);
    if (status) void reply.code(status);
    return payload;
  });
  fastify.addHook('onResponse', async (req, reply) => {
    metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  const doc = SwaggerModule.createDocument(app, documentInfo());
  SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
  return app;
}

/**
 * The console runs only its own bundled scripts and talks only to this API: an injected script could not run
 * nor send a token elsewhere. Inline styles stay allowed (charts and bars set widths in style attributes; the
 * replay report drawn in a sandboxed srcdoc frame, which inherits this policy, carries its own stylesheet).
 */
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The ops console (apps/console, built by Vite into dist/console) at `/`. It routes in the URL's hash, so the
 * server only serves files. Asset names carry their content hash: cached for a year; index.html never, so a
 * deploy reaches every open tab at its next load. Without a build, `/` says how to make one.
 */
async function serveConsole(fastify: FastifyInstance) {
  const root = path.join(repoRoot(), 'dist', 'console');
  if (!existsSync(path.join(root, 'index.html'))) {
    fastify.get('/', (_req, reply) =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The console is not built: `npm run build` builds it (npm start does too).'),
    );
    return;
  }
  await fastify.register(fastifyStatic, {
    root,
    prefix: '/',
    index: ['index.html'],
    setHeaders: (res, file) => {
      void res.header(
        'cache-control',
        file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
      void res.header('x-content-type-options', 'nosniff');
      if (file.endsWith('.html')) {
        void res.header('content-security-policy', CONSOLE_CSP);
        void res.header('referrer-policy', 'no-referrer');
      }
    },
  });
}
