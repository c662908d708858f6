/**
 * Typed, validated configuration for the API and the worker. Read once at boot; a bad or missing variable
 * stops the process with one line naming it (ConfigError.message), never a stack trace.
 */
import { z } from 'zod';

const flag = z
  .enum(['0', '1', 'true', 'false'])
  .transform((v) => v === '1' || v === 'true')
  .optional();

const port = z.coerce.number().int().min(1).max(65535);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  DATA_DIR: z.string().min(1).default('.data'),
  SCENARIOS_DIR: z.string().min(1).optional(),
  DATABASE_URL: z
    .string({ required_error: 'is required (npm start sets it for the embedded PostgreSQL)' })
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  TEMPORAL_ADDRESS: z
    .string({ required_error: 'is required (npm start sets it for the local Temporal dev server)' })
    .regex(/^[^\s:]+:\d+$/, 'must be host:port'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('peakstock'),
  TEMPORAL_TLS_CERT: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS_CA: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  /** The Temporal Web UI people may open (e.g. http://127.0.0.1:8233): workflow views link to it. */
  TEMPORAL_UI_URL: z.string().url().optional(),
  WORKFLOW_BUNDLE: z.string().min(1).optional(),
  TIME_SCALE: z.coerce.number().positive().max(1_000_000).optional(),
  ALLOW_CLOCK_CONTROL: flag,
  BOOTSTRAP_ADMIN_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9_-]{32,128}$/, 'must be 32-128 characters of A-Z a-z 0-9 _ -')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z
    .string()
    .regex(
      /^(\d{1,2}|[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*)$/,
      'must be a hop count or addresses/CIDRs, comma-separated',
    )
    .optional(),
  RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).default(1000),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(2000),
  TOKEN_CACHE_SECONDS: z.coerce.number().min(0).max(300).default(5),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/\S+$/, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().min(3).default('PeakStock <noreply@peakstock.local>'),
  CONSOLE_URL: z.string().url().default('http://127.0.0.1:3000'),
  SELLABLE_PUSH_MS: z.coerce.number().int().min(50).max(600_000).default(1000),
  /** 0 keeps the alert engine from running on its own (tests that call its passes themselves). */
  ALERT_ENGINE: flag,
});

export interface AppConfig {
  /** Whether the alert engine runs passes by itself (kicks and its poll); passes can always be called. */
  alertEngine: { autoRun: boolean };
  nodeEnv: 'development' | 'test' | 'production';
  host: string;
  port: number;
  dataDir: string;
  /** Where the alert-policy preview finds scenarios by name; default the project's scenarios/ folder. */
  scenariosDir?: string;
  database: { url: string; poolSize: number };
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    tls?: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string };
    apiKey?: string;
    workflowBundlePath?: string;
    /** The Temporal Web UI's address, for links from workflow views; none when people cannot reach one. */
    uiUrl?: string;
  };
  clock: { timeScale?: number; allowControl: boolean };
  bootstrapAdminToken?: string;
  logLevel: string;
  rateLimit: { perSecond: number; burst: number };
  /**
   * Which proxies in front of the API to believe about the client's address (X-Forwarded-For): a hop count or
   * addresses; none by default. Per-address limits (failed authentications) need it behind a proxy.
   */
  trustProxy?: number | string[];
  tokenCacheSeconds: number;
  /** Email is off (logged as skipped) without SMTP_URL; IM webhooks need no configuration here. */
  notify: { smtpUrl?: string; mailFrom: string; consoleUrl: string };
  /** How often (real ms) changed sellable quantities are pushed to channel webhooks: the throttle. */
  sellablePushMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws ConfigError whose message is one line naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty strings count as unset, as shells and compose files produce them for "no value".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? '?');
      const got = env[name] === undefined ? '' : ` (got ${JSON.stringify(env[name])})`;
      return `${name} ${i.message}${got}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  if (Boolean(e.TEMPORAL_TLS_CERT) !== Boolean(e.TEMPORAL_TLS_KEY)) {
    throw new ConfigError(
      'Invalid configuration: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together',
    );
  }
  const tlsWanted = e.TEMPORAL_TLS_CERT || e.TEMPORAL_TLS_CA || e.TEMPORAL_TLS_SERVER_NAME;
  return {
    nodeEnv: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    dataDir: e.DATA_DIR,
    scenariosDir: e.SCENARIOS_DIR,
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      tls: tlsWanted
        ? {
            certPath: e.TEMPORAL_TLS_CERT,
            keyPath: e.TEMPORAL_TLS_KEY,
            caPath: e.TEMPORAL_TLS_CA,
            serverName: e.TEMPORAL_TLS_SERVER_NAME,
          }
        : undefined,
      apiKey: e.TEMPORAL_API_KEY,
      uiUrl: e.TEMPORAL_UI_URL?.replace(/\/+$/, ''),
      workflowBundlePath: e.WORKFLOW_BUNDLE,
    },
    clock: { timeScale: e.TIME_SCALE, allowControl: e.ALLOW_CLOCK_CONTROL ?? false },
    bootstrapAdminToken: e.BOOTSTRAP_ADMIN_TOKEN,
    logLevel: e.LOG_LEVEL,
    rateLimit: { perSecond: e.RATE_LIMIT_PER_SECOND, burst: e.RATE_LIMIT_BURST },
    trustProxy:
      e.TRUST_PROXY === undefined
        ? undefined
        : /^\d+$/.test(e.TRUST_PROXY)
          ? Number(e.TRUST_PROXY)
          : e.TRUST_PROXY.split(','),
    tokenCacheSeconds: e.TOKEN_CACHE_SECONDS,
    notify: { smtpUrl: e.SMTP_URL, mailFrom: e.MAIL_FROM, consoleUrl: e.CONSOLE_URL.replace(/\/$/, '') },
    sellablePushMs: e.SELLABLE_PUSH_MS,
    alertEngine: { autoRun: e.ALERT_ENGINE ?? true },
  };
}
