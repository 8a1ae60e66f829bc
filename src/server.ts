import { buildApp } from './app.js';
import { loadCampaign } from './campaign/schema.js';
import { ConfigError, derivePublicUrl, loadConfig, publicUrlWarning, type Config } from './config.js';
import { connectDatabase } from './db/connect.js';
import { loadCalendar } from './calendar/work-calendar.js';
import { migrate } from './db/migrate.js';
import { readOrCreateSecretFile } from './lib/secret.js';
import { issueSetupLink, setupLinkUrl } from './staff/setup.js';

// The one place that reads process.env, listens, and shuts down.

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

let config: Config;
try {
  config = loadConfig(process.env);
} catch (err) {
  fail(err instanceof ConfigError ? err.message : String(err));
}
if (!config.appSecret) config = { ...config, appSecret: readOrCreateSecretFile(config.dataDir) };

let campaign;
let calendar;
try {
  campaign = loadCampaign(config.campaignFile);
  calendar = loadCalendar(config.calendarFile);
} catch (err) {
  fail((err as Error).message);
}

const database = await connectDatabase(config.database).catch((err) => fail(`Database: ${(err as Error).message}`));
await migrate(database.pool).catch((err) => fail(`Migration failed: ${(err as Error).message}`));
const app = await buildApp(config, { database, campaign, calendar });

let closing = false;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  app.log.info({ signal }, 'shutting down');
  // Stop accepting, let in-flight requests finish, then release the database.
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  try {
    await app.close();
    await database.close();
    process.exit(0);
  } catch (err) {
    app.log.error({ err }, 'shutdown failed');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

try {
  await app.listen({ port: config.port, host: config.host });
  const warning = publicUrlWarning(config);
  if (warning) app.log.warn(warning);
  app.log.info(`${config.database.kind === 'pglite' ? 'Embedded database in ' + config.dataDir : 'PostgreSQL'}; portal at ${config.publicUrl}`);
} catch (err) {
  await database.close();
  fail(`Could not listen on ${config.host}:${config.port}: ${(err as Error).message}`);
}

// No staff account yet: one line with a one-time link to create the first admin from this machine
// (src/staff/setup.ts), so that nobody has to stop the server to run `npm run staff -- add`.
const setupToken = await issueSetupLink(database.db).catch((err) => {
  app.log.error({ err }, 'could not create the set-up link');
  return null;
});
if (setupToken) {
  const url = setupLinkUrl(derivePublicUrl(config.host, config.port), setupToken);
  app.log.warn(`No staff account yet: create the first admin at ${url} (works once, within 24 hours, from this machine only)`);
}
