import { readFileSync } from 'node:fs';
import t from 'tap';
import { parse } from 'yaml';
import { ENV_VARIABLES } from '../src/config.js';
import { startCommand } from '../bench/lib/processes.js';

// No Docker engine here: the compose file is checked by reading it.
const compose = parse(readFileSync('docker-compose.yml', 'utf8'));

t.test('the app runs against a postgres service with a named volume', async (t) => {
  t.ok(compose.services.postgres, 'postgres service');
  t.match(compose.services.postgres.image, /^postgres:\d+/);
  const volume = compose.services.postgres.volumes[0].split(':')[0];
  t.ok(volume in compose.volumes, `volume ${volume} is named`);
  t.same(Object.keys(compose.services.app.depends_on).sort(), ['postgres', 'redis']);
  t.match(compose.services.app.environment.DATABASE_URL, /^postgres:\/\/[^@]+@postgres:5432\//);
});

t.test('every variable the app is given is one the config schema knows', async (t) => {
  for (const name of Object.keys(compose.services.app.environment)) {
    t.ok(ENV_VARIABLES.includes(name), `${name} is a known setting`);
  }
  t.match(compose.services.app.environment.APP_SECRET, /:\?/, 'APP_SECRET must be supplied, never defaulted');
});

t.test('two app replicas listen inside their containers, reached only through the proxy', async (t) => {
  const app = compose.services.app;
  t.equal(app.deploy.replicas, 2, 'two replicas');
  t.notOk(app.container_name, 'no fixed container name (it would forbid replicas)');
  t.equal(app.environment.HOST, '0.0.0.0');
  t.equal(app.environment.PORT, '3000');
  t.notOk(app.ports, 'no replica publishes a port');
  const published = Object.entries(compose.services as Record<string, { ports?: string[] }>).filter(([, s]) => s.ports);
  t.same(published.map(([name]) => name), ['proxy'], 'only the proxy is published');
});

t.test('the replicas share their rate limits in a redis that keeps nothing on disk', async (t) => {
  const redis = compose.services.redis;
  t.match(redis.image, /^redis:\d+/);
  t.match(redis.command.join(' '), /--save\s+--appendonly no/, 'no snapshot, no append-only file');
  t.notOk(redis.volumes, 'no volume');
  t.equal(compose.services.app.environment.REDIS_URL, 'redis://redis:6379');
});

t.test('a reverse proxy load-balances the replicas, and only the proxy is trusted for client addresses', async (t) => {
  const proxy = compose.services.proxy;
  t.match(proxy.image, /^caddy:\d+/);
  t.same(Object.keys(proxy.depends_on), ['app']);
  const mount = (proxy.volumes as string[]).find((v) => v.endsWith(':/etc/caddy/Caddyfile:ro'));
  t.ok(mount, 'the committed Caddyfile is mounted');
  const caddyfile = readFileSync(mount!.split(':')[0]!, 'utf8');
  const dynamic = /dynamic a \{([^}]*)\}/.exec(caddyfile)?.[1] ?? '';
  t.match(dynamic, /^\s*name app$/m, 'upstreams: every address of the app service');
  t.match(dynamic, new RegExp(`^\\s*port ${compose.services.app.environment.PORT}$`, 'm'), 'on the port the app listens on');
  t.notMatch(caddyfile, /trusted_proxies/, 'Caddy trusts no client-sent X-Forwarded-For: it sets the address it sees');

  const address = proxy.networks.portal.ipv4_address;
  t.equal(compose.services.app.environment.TRUST_PROXY, address, 'the app trusts the proxy’s fixed address, nothing else');
  const subnet = compose.networks.portal.ipam.config[0].subnet as string;
  t.ok(address.startsWith(subnet.replace(/0\/24$/, '')), `${address} is in ${subnet}`);
  for (const [name, service] of Object.entries(compose.services as Record<string, { networks: unknown }>)) {
    t.ok(JSON.stringify(service.networks).includes('portal'), `${name} is on the portal network`);
  }
});

t.test('the image runs what npm start runs, with the same memory settings', async (t) => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const start: string = JSON.parse(readFileSync('package.json', 'utf8')).scripts.start;
  const { nodeFlags } = startCommand('.');
  t.match(start, new RegExp(`node ${nodeFlags.join(' ')} dist/server\\.js$`));
  t.ok(nodeFlags.includes('--heap-growing-percent=50'), 'npm start bounds how far V8 lets its old generation grow');
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
  t.same(cmd, ['node', ...nodeFlags, 'dist/server.js'], 'the image runs node with the same flags');
  const settings = [...start.matchAll(/\b([A-Z][A-Z0-9_]*)=(\S+)/g)].map((m) => `${m[1]}=${m[2]}`);
  t.ok(settings.length > 0, 'npm start sets the allocator');
  for (const s of settings) t.match(dockerfile, new RegExp(`^ENV ${s}$`, 'm'), `the image sets ${s}`);
});
