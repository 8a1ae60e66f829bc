import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadCampaign } from '../src/campaign/schema.js';
import { ConfigError, loadConfig, publicUrlWarning } from '../src/config.js';
import { readOrCreateSecretFile } from '../src/lib/secret.js';

const SECRET = 'x'.repeat(32);

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'xiansuo-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The ConfigError loadConfig throws for env (fails the test when it does not throw one). */
function configError(t: Test, env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    t.type(err, ConfigError, `${JSON.stringify(env)} throws a ConfigError`);
    return (err as Error).message;
  }
  t.fail(`${JSON.stringify(env)} was accepted`);
  return '';
}

t.test('defaults: embedded database, local address, no secret yet', async (t) => {
  const c = loadConfig({});
  t.equal(c.port, 3000);
  t.equal(c.host, '127.0.0.1');
  t.same(c.database, { kind: 'pglite', dataDir: './data/pgdata', sharedBuffersMb: 16 });
  t.equal(c.dataDir, './data');
  t.equal(c.appSecret, null, 'embedded mode may start without APP_SECRET');
  t.equal(c.publicUrl, 'http://127.0.0.1:3000');
  t.equal(c.secureCookies, false);
  t.equal(c.trustProxy, false);
  t.equal(c.logLevel, 'info');
  t.equal(c.campaignFile, 'config/campaign.json');
  for (const [name, value] of Object.entries(c.rateLimits)) t.ok(Number.isInteger(value) && value >= 1, `${name} is a positive integer`);
  t.equal(c.redis, null, 'without REDIS_URL the limits stay in memory');
  t.same(loadConfig({ REDIS_URL: 'redis://redis:6379' }).redis, { url: 'redis://redis:6379', prefix: 'xiansuo:' });
  t.same(loadConfig({ PORT: '', LOG_LEVEL: '' }).port, 3000, 'an empty variable counts as unset');
});

t.test('each bad value throws one line naming the variable', async (t) => {
  const cases: [string, Record<string, string>][] = [
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '0' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['PUBLIC_URL', { PUBLIC_URL: 'ftp://x' }],
    ['PUBLIC_URL', { PUBLIC_URL: 'not a url' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'maybe' }],
    ['APP_SECRET', { APP_SECRET: 'too-short-secret' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://localhost/db', APP_SECRET: SECRET }],
    ['DB_POOL_SIZE', { DB_POOL_SIZE: '1000' }],
    ['RATE_LIMIT_SUBMISSIONS_PER_HOUR', { RATE_LIMIT_SUBMISSIONS_PER_HOUR: '0' }],
    ['REDIS_URL', { REDIS_URL: 'http://127.0.0.1:6379' }],
    ['REDIS_PREFIX', { REDIS_PREFIX: 'two words' }],
  ];
  for (const [name, env] of cases) {
    const message = configError(t, env);
    t.match(message, new RegExp(`\\b${name}\\b`), `names ${name}`);
    t.notMatch(message, /\n/, 'one line');
  }
  t.notMatch(configError(t, { APP_SECRET: 'too-short-secret' }), 'too-short-secret', 'the secret is never echoed');
});

t.test('a database server needs APP_SECRET; embedded mode does not', async (t) => {
  const message = configError(t, { DATABASE_URL: 'postgres://db/xiansuo' });
  t.match(message, /APP_SECRET/);
  t.notMatch(message, /\n/);
  const pg = loadConfig({ DATABASE_URL: 'postgresql://db/xiansuo', APP_SECRET: SECRET, DB_POOL_SIZE: '4' });
  t.same(pg.database, { kind: 'pg', url: 'postgresql://db/xiansuo', poolSize: 4 });
  t.equal(pg.appSecret, SECRET);
  const embedded = loadConfig({ DATA_DIR: '/var/lib/xiansuo' });
  t.same(embedded.database, { kind: 'pglite', dataDir: '/var/lib/xiansuo/pgdata', sharedBuffersMb: 16 });
  t.equal(embedded.appSecret, null);
});

t.test('TRUST_PROXY: a flag, a hop count, or a list of addresses', async (t) => {
  t.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
  t.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false);
  t.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
  t.same(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, ['10.0.0.0/8', '127.0.0.1']);
  t.same(loadConfig({ TRUST_PROXY: '::1,fd00::/8' }).trustProxy, ['::1', 'fd00::/8']);
});

t.test('cookies are Secure when the public address is https', async (t) => {
  const https = loadConfig({ PUBLIC_URL: 'https://jubao.example.cn/' });
  t.equal(https.secureCookies, true);
  t.equal(https.publicUrl, 'https://jubao.example.cn', 'trailing slash removed');
  t.equal(loadConfig({ PUBLIC_URL: 'http://192.168.1.10:3000' }).secureCookies, false);
});

t.test('PUBLIC_URL unset: derived from HOST and PORT, and said loudly when listening beyond loopback', async (t) => {
  t.equal(loadConfig({ PORT: '3202' }).publicUrl, 'http://127.0.0.1:3202', 'the receipt and the poster carry the port listened on');
  t.equal(loadConfig({ HOST: 'localhost', PORT: '8080' }).publicUrl, 'http://localhost:8080');
  t.equal(loadConfig({ HOST: '0.0.0.0', PORT: '3202' }).publicUrl, 'http://127.0.0.1:3202', 'any-address: loopback in the derived address');
  t.equal(loadConfig({ HOST: '::', PORT: '3202' }).publicUrl, 'http://127.0.0.1:3202');
  t.equal(loadConfig({ HOST: '192.168.1.10', PORT: '3202' }).publicUrl, 'http://192.168.1.10:3202');
  t.equal(loadConfig({ HOST: '::1', PORT: '3202' }).publicUrl, 'http://[::1]:3202', 'IPv6 in brackets');
  t.equal(loadConfig({ HOST: '0.0.0.0', PORT: '3202', PUBLIC_URL: 'https://jubao.example.cn' }).publicUrl, 'https://jubao.example.cn', 'PUBLIC_URL wins');

  for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) {
    const c = loadConfig({ HOST: host });
    t.equal(c.publicUrlMissing, false, `${host}: loopback, nothing to warn about`);
    t.equal(publicUrlWarning(c), null);
  }
  for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
    const c = loadConfig({ HOST: host, PORT: '3202' });
    t.equal(c.publicUrlMissing, true, `${host}: reachable from elsewhere without PUBLIC_URL`);
    const line = publicUrlWarning(c)!;
    t.match(line, 'PUBLIC_URL', 'the warning names the variable');
    t.notMatch(line, '\n', 'on one line');
  }
  t.equal(loadConfig({ HOST: '0.0.0.0', PUBLIC_URL: 'https://jubao.example.cn' }).publicUrlMissing, false, 'set: no warning');
});

t.test('readOrCreateSecretFile creates a private secret once and reuses it', async (t) => {
  const dir = join(tempDir(t), 'nested', 'data');
  const first = readOrCreateSecretFile(dir);
  t.match(first, /^[0-9a-f]{64}$/);
  const file = join(dir, 'app-secret');
  t.equal(statSync(file).mode & 0o777, 0o600, 'readable by the owner only');
  t.equal(readFileSync(file, 'utf8').trim(), first);
  t.equal(readOrCreateSecretFile(dir), first, 'the second call returns the same secret');
  t.not(readOrCreateSecretFile(join(dir, 'other')), first, 'another data folder gets its own secret');

  const existing = tempDir(t);
  writeFileSync(join(existing, 'app-secret'), 'kept-as-it-was\n');
  t.equal(readOrCreateSecretFile(existing), 'kept-as-it-was', 'an existing file is never replaced');
});

t.test('loadCampaign: the shipped file loads', async (t) => {
  const c = loadCampaign('config/campaign.json');
  t.ok(c.hotlines.length >= 1);
  t.ok(c.villages.length >= 1);
  t.ok(c.phases.length >= 1);
  t.ok(c.villages.every((v) => v.name['zh-CN'] && v.name.en));
});

t.test('loadCampaign: a broken copy fails with a message naming the file', async (t) => {
  const shipped = JSON.parse(readFileSync('config/campaign.json', 'utf8'));
  const dir = tempDir(t);
  const broken = (name: string, change: (c: Record<string, unknown>) => void): string => {
    const copy = structuredClone(shipped);
    change(copy);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(copy));
    return file;
  };
  const cases: [string, RegExp][] = [
    [broken('duplicate-village', (c) => (c.villages as unknown[]).push((c.villages as unknown[])[0])), /villages.*unique/],
    [broken('no-hotline', (c) => delete c.hotlines), /hotlines/],
    [broken('empty-hotlines', (c) => (c.hotlines = [])), /hotlines/],
    [broken('reserved-village', (c) => (c.villages as { id: string }[]).push({ ...(c.villages as { id: string }[])[0]!, id: 'other' })), /reserved/],
  ];
  const syntax = join(dir, 'syntax.json');
  writeFileSync(syntax, '{ "name": ');
  cases.push([syntax, /JSON/]);
  for (const [file, reason] of cases) {
    t.throws(() => loadCampaign(file), { message: new RegExp(`^Campaign file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `) }, file);
    t.throws(() => loadCampaign(file), { message: reason });
  }
  t.throws(() => loadCampaign(join(dir, 'missing.json')), { message: /missing\.json/ });
});
