import { ConfigError, loadConfig } from '../config.js';
import { connectDatabase } from '../db/connect.js';
import { migrate } from '../db/migrate.js';

// `npm run migrate`: apply pending migrations and exit (start-up does the same).
try {
  const config = loadConfig(process.env);
  const database = await connectDatabase(config.database);
  try {
    const applied = await migrate(database.pool);
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Nothing to apply: the schema is up to date.');
  } finally {
    await database.close();
  }
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `Migration failed: ${(err as Error).message}`);
  process.exit(1);
}
