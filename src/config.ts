import { z } from 'zod';

/** The embedded database's shared_buffers unless EMBEDDED_SHARED_BUFFERS_MB says otherwise. */
export const EMBEDDED_SHARED_BUFFERS_MB = 16;

// Every setting the server reads from its environment. Nothing else in src/ touches process.env.
const envSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  // The embedded database's page cache inside its WebAssembly memory, which never shrinks: initdb's
  // default (160 MB) was most of the embedded mode's memory (docs/PERFORMANCE.md).
  EMBEDDED_SHARED_BUFFERS_MB: z.coerce.number().int().min(1).max(1024).default(EMBEDDED_SHARED_BUFFERS_MB),
  APP_SECRET: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)').optional(),
  // Unset: derived from HOST and PORT (derivePublicUrl), which is right only on this machine.
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d+|[0-9a-fA-F.:/,\s]+)$/, 'must be true, false, a hop count, or addresses/CIDRs separated by commas')
    .default('false'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CAMPAIGN_FILE: z.string().min(1).default('config/campaign.json'),
  CALENDAR_FILE: z.string().min(1).default('config/cn-public-holidays.json'),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  RATE_LIMIT_SUBMISSIONS_PER_HOUR: z.coerce.number().int().min(1).default(20),
  RATE_LIMIT_LOOKUPS_PER_15_MIN: z.coerce.number().int().min(1).default(60),
  RATE_LIMIT_FAILED_LOOKUPS_PER_HOUR: z.coerce.number().int().min(1).default(20),
  RATE_LIMIT_PORTAL_FAILED_LOOKUPS_PER_HOUR: z.coerce.number().int().min(1).default(200),
  RATE_LIMIT_SLOW_LOOKUP_SECONDS: z.coerce.number().min(0).max(30).default(3),
  RATE_LIMIT_LOGINS_PER_15_MIN: z.coerce.number().int().min(1).default(30),
  // Several instances share their rate-limit counters here; unset, each keeps its own in memory.
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be redis://[:password@]host[:port][/db] or rediss://…' }).optional(),
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1–64 letters, digits or _.:-').default('xiansuo:'),
  // argon2id cost; the defaults follow OWASP's stronger profile. Tests lower them, never production.
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(1024).default(65536),
  ARGON2_TIME_COST: z.coerce.number().int().min(1).default(3),
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().int().min(1).max(72).default(12),
  SESSION_RECHECK_SECONDS: z.coerce.number().int().min(0).max(60).default(5),
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  LOGIN_LOCK_MINUTES: z.coerce.number().int().min(1).default(15),
  // Mail: without SMTP_URL notices are written to the log (recipient and subject only).
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be smtp://[user:pass@]host[:port] or smtps://…' }).optional(),
  MAIL_FROM: z.string().regex(/^[^\r\n<>]*<?[^\s@<>]+@[^\s@<>]+>?$/, 'must be an address, e.g. "线索 <noreply@example.org>"').optional(),
  MAIL_POLL_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  MAIL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(50),
  MAIL_DIGEST_HOUR: z.coerce.number().int().min(0).max(23).default(8),
  // Attachments to a report or a message: files per submission, MB per file, MB per submission.
  UPLOAD_MAX_FILES: z.coerce.number().int().min(1).max(20).default(5),
  UPLOAD_MAX_FILE_MB: z.coerce.number().int().min(1).max(50).default(10),
  UPLOAD_MAX_TOTAL_MB: z.coerce.number().int().min(1).max(200).default(25),
});

/** The names of every environment variable the server reads (the compose file test checks against it). */
export const ENV_VARIABLES = Object.keys(envSchema.shape);

export type DatabaseConfig =
  | { kind: 'pg'; url: string; poolSize: number }
  | { kind: 'pglite'; dataDir: string | null; sharedBuffersMb?: number };

export interface RateLimits {
  submissionsPerHour: number;
  lookupsPer15Min: number;
  failedLookupsPerHour: number;
  /** Unknown codes looked up per hour by everyone together, past which every lookup is slowed. */
  portalFailedLookupsPerHour: number;
  slowLookupMs: number;
  loginsPer15Min: number;
}

export interface StaffSettings {
  password: { memoryCost: number; timeCost: number };
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  /** How long a page view may rely on a session this instance checked earlier (0: every time). */
  sessionRecheckMs: number;
  maxFailures: number;
  lockMs: number;
}

export interface MailSettings {
  /** Null: dev mode, notices go to the log instead of an SMTP server. */
  smtpUrl: string | null;
  from: string | null;
  pollMs: number;
  maxAttempts: number;
  /** The hour (0–23, Asia/Shanghai) after which each working day's digest is sent. */
  digestHour: number;
}

export interface UploadLimits {
  maxFiles: number;
  maxFileBytes: number;
  maxTotalBytes: number;
}

export interface Config {
  port: number;
  host: string;
  database: DatabaseConfig;
  dataDir: string;
  /** Null only in embedded mode before the server has created or read the secret file. */
  appSecret: string | null;
  publicUrl: string;
  /**
   * PUBLIC_URL is unset while the server listens beyond loopback: every printed receipt, card and
   * poster then carries an address that is probably wrong for the people reading it. Said at start
   * and on the staff pages.
   */
  publicUrlMissing: boolean;
  secureCookies: boolean;
  trustProxy: boolean | number | string[];
  logLevel: string;
  campaignFile: string;
  calendarFile: string;
  rateLimits: RateLimits;
  /** Where every instance keeps its rate-limit counters, or null for this process's memory. */
  redis: { url: string; prefix: string } | null;
  staff: StaffSettings;
  mail: MailSettings;
  uploads: UploadLimits;
}

export class ConfigError extends Error {}

function parseTrustProxy(value: string): Config['trustProxy'] {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

const ANY_ADDRESS = new Set(['0.0.0.0', '::', '[::]']);

/** True for an address that only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** The address the portal is reached at when PUBLIC_URL is unset: http://HOST:PORT (any-address binds name loopback). */
export function derivePublicUrl(host: string, port: number): string {
  const h = host.replace(/^\[|\]$/g, '');
  const name = ANY_ADDRESS.has(host) || ANY_ADDRESS.has(h) ? '127.0.0.1' : h.includes(':') ? `[${h}]` : h;
  return `http://${name}:${port}`;
}

/** The one line the server logs at start when config.publicUrlMissing, or null. */
export function publicUrlWarning(config: Pick<Config, 'publicUrlMissing' | 'publicUrl' | 'host'>): string | null {
  if (!config.publicUrlMissing) return null;
  return (
    `WARNING: PUBLIC_URL is not set while listening on ${config.host}: receipts, wallet cards, posters and mail ` +
    `will show ${config.publicUrl}. Set PUBLIC_URL to the address people use (e.g. https://jubao.example.cn).`
  );
}

/** Pure: validates an environment and returns the app's configuration, or throws one clear line. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable means "not set": compose files and shells often leave them empty.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid environment variable ${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  if (e.DATABASE_URL && !e.APP_SECRET) {
    throw new ConfigError(
      'Invalid environment variable APP_SECRET: required when DATABASE_URL is set (without it no tracking code can be verified)',
    );
  }
  if (e.SMTP_URL && !e.MAIL_FROM) {
    throw new ConfigError('Invalid environment variable MAIL_FROM: required when SMTP_URL is set');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    database: e.DATABASE_URL
      ? { kind: 'pg', url: e.DATABASE_URL, poolSize: e.DB_POOL_SIZE }
      : { kind: 'pglite', dataDir: `${e.DATA_DIR}/pgdata`, sharedBuffersMb: e.EMBEDDED_SHARED_BUFFERS_MB },
    dataDir: e.DATA_DIR,
    appSecret: e.APP_SECRET ?? null,
    publicUrl: (e.PUBLIC_URL ?? derivePublicUrl(e.HOST, e.PORT)).replace(/\/+$/, ''),
    publicUrlMissing: e.PUBLIC_URL === undefined && !isLoopbackHost(e.HOST),
    secureCookies: e.PUBLIC_URL?.startsWith('https:') ?? false,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    logLevel: e.LOG_LEVEL,
    campaignFile: e.CAMPAIGN_FILE,
    calendarFile: e.CALENDAR_FILE,
    rateLimits: {
      submissionsPerHour: e.RATE_LIMIT_SUBMISSIONS_PER_HOUR,
      lookupsPer15Min: e.RATE_LIMIT_LOOKUPS_PER_15_MIN,
      failedLookupsPerHour: e.RATE_LIMIT_FAILED_LOOKUPS_PER_HOUR,
      portalFailedLookupsPerHour: e.RATE_LIMIT_PORTAL_FAILED_LOOKUPS_PER_HOUR,
      slowLookupMs: e.RATE_LIMIT_SLOW_LOOKUP_SECONDS * 1000,
      loginsPer15Min: e.RATE_LIMIT_LOGINS_PER_15_MIN,
    },
    redis: e.REDIS_URL ? { url: e.REDIS_URL, prefix: e.REDIS_PREFIX } : null,
    staff: {
      password: { memoryCost: e.ARGON2_MEMORY_KIB, timeCost: e.ARGON2_TIME_COST },
      sessionIdleMs: e.SESSION_IDLE_MINUTES * 60_000,
      sessionAbsoluteMs: e.SESSION_ABSOLUTE_HOURS * 3_600_000,
      sessionRecheckMs: e.SESSION_RECHECK_SECONDS * 1000,
      maxFailures: e.LOGIN_MAX_FAILURES,
      lockMs: e.LOGIN_LOCK_MINUTES * 60_000,
    },
    mail: {
      smtpUrl: e.SMTP_URL ?? null,
      from: e.MAIL_FROM ?? null,
      pollMs: e.MAIL_POLL_SECONDS * 1000,
      maxAttempts: e.MAIL_MAX_ATTEMPTS,
      digestHour: e.MAIL_DIGEST_HOUR,
    },
    uploads: {
      maxFiles: e.UPLOAD_MAX_FILES,
      maxFileBytes: e.UPLOAD_MAX_FILE_MB * 1024 * 1024,
      maxTotalBytes: e.UPLOAD_MAX_TOTAL_MB * 1024 * 1024,
    },
  };
}
