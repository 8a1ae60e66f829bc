import { readFileSync } from 'node:fs';
import t from 'tap';
import { parse } from 'yaml';
import { ENV_VARIABLES } from '../src/config.js';

// No Docker engine here: the compose file is checked by reading it.
const compose = parse(readFileSync('docker-compose.yml', 'utf8'));

t.test('the app runs against a postgres service with a named volume', async (t) => {
  t.ok(compose.services.postgres, 'postgres service');
  t.match(compose.services.postgres.image, /^postgres:\d+/);
  const volume = compose.services.postgres.volumes[0].split(':')[0];
  t.ok(volume in compose.volumes, `volume ${volume} is named`);
  t.same(Object.keys(compose.services.app.depends_on), ['postgres']);
  t.match(compose.services.app.environment.DATABASE_URL, /^postgres:\/\/[^@]+@postgres:5432\//);
});

t.test('every variable the app is given is one the config schema knows', async (t) => {
  for (const name of Object.keys(compose.services.app.environment)) {
    t.ok(ENV_VARIABLES.includes(name), `${name} is a known setting`);
  }
  t.match(compose.services.app.environment.APP_SECRET, /:\?/, 'APP_SECRET must be supplied, never defaulted');
});

t.test('the app listens on all interfaces inside its container and the port is published', async (t) => {
  t.equal(compose.services.app.environment.HOST, '0.0.0.0');
  t.match(compose.services.app.ports[0], /:3000$/);
});
