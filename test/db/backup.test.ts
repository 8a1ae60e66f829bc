import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sql } from 'kysely';
import t, { type Test } from 'tap';
import { connectDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { readOrCreateSecretFile } from '../../src/lib/secret.js';
import { multipart, photoWithGps } from '../support/attachments.js';
import { codeFrom, FORM, formBody, serverUrl, testApp, testDatabase, TEST_SECRET, tokenFrom, VALID_REPORT, type TestApp } from '../support/app.js';
import { addStaff, loginForm, STAFF_PASSWORD } from '../support/staff.js';

// `npm run backup` and `npm run restore`, as an operator runs them, in both modes: a backup,
// restored after the data is gone and opened with the secret kept apart, gives back every report —
// found by its code, its reporter's identity and photo decrypted — and the backup alone holds no
// secret.

const NAME = '王秀英';

function cli(command: 'backup' | 'restore', args: string[], env: Record<string, string>) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['DATABASE_URL', 'APP_SECRET', 'DATA_DIR'].includes(k)));
  return new Promise<{ code: number; out: string; err: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', `src/cli/${command}.ts`, ...args],
      { env: { ...inherited, ...env }, timeout: 120_000 },
      (err, out, errOut) => resolve({ code: err ? Number(err.code ?? 1) : 0, out, err: errOut }),
    );
  });
}

/** A real-name report with a photo, through the form, and the admin who may open both. */
async function populate(ta: TestApp): Promise<string> {
  await addStaff(ta, 'admin1', 'admin');
  const token = tokenFrom((await ta.app.inject('/report')).body);
  const body = multipart({ ...VALID_REPORT, token, identity: 'real', name: NAME, phone: '138 0013 8000' }, [
    { name: '收据.jpg', bytes: await photoWithGps() },
  ]);
  const res = await ta.app.inject({ method: 'POST', url: '/report', headers: body.headers, payload: body.payload });
  if (res.statusCode !== 200) throw new Error(`submission failed: ${res.statusCode}`);
  return codeFrom(res.body);
}

const lookup = (ta: TestApp, code: string) => ta.app.inject({ method: 'POST', url: '/api/v1/status', payload: { code } });

/** Signs in as the existing admin1, reveals the newest lead's identity and opens its photo. */
async function openLead(ta: TestApp): Promise<{ identity: string; photo: { status: number; type: unknown; bytes: number; stored: number } }> {
  const form = await loginForm(ta);
  const login = await ta.app.inject({
    method: 'POST', url: '/staff/login', headers: { ...FORM, cookie: form.cookie },
    payload: formBody({ _csrf: form.csrf, username: 'admin1', password: STAFF_PASSWORD }),
  });
  if (login.statusCode !== 303) throw new Error(`login failed: ${login.statusCode}`);
  const cookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []).find((c) => c.startsWith('sid='))!.split(';')[0]!;
  const { id } = await ta.database.db.selectFrom('reports').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow();
  const page = await ta.app.inject({ url: `/staff/leads/${id}`, headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const res = await ta.app.inject({
    method: 'POST', url: `/staff/leads/${id}/reveal`, headers: { ...FORM, cookie }, payload: formBody({ _csrf: csrf, reason: '恢复备份后核对' }),
  });
  const file = await ta.database.db.selectFrom('attachments').select(['id', 'size_bytes']).where('report_id', '=', id).executeTakeFirstOrThrow();
  const photo = await ta.app.inject({ url: `/staff/leads/${id}/attachments/${file.id}`, headers: { cookie } });
  return {
    identity: res.body,
    photo: { status: photo.statusCode, type: photo.headers['content-type'], bytes: photo.rawPayload.length, stored: file.size_bytes },
  };
}

/** The restored database, opened with the secret kept apart: the code is found and the identity decrypted. */
async function checkRestored(t: Test, database: DatabaseHandle, secret: string, code: string) {
  const ta = await testApp(t, { database, env: { APP_SECRET: secret } });
  t.equal((await lookup(ta, code)).statusCode, 200, 'the code is found');
  const lead = await openLead(ta);
  t.match(lead.identity, NAME, "the reporter's identity is decrypted");
  t.match(lead.photo, { status: 200, type: 'image/jpeg' }, 'the attachment is decrypted and opens');
  t.equal(lead.photo.bytes, lead.photo.stored, `all ${lead.photo.stored} bytes of the photo`);
  const wrong = await testApp(t, { database, env: { APP_SECRET: 'another-secret-0123456789abcdef0123456789' } });
  t.equal((await lookup(wrong, code)).statusCode, 404, 'with another secret, the same backup finds nothing');
}

// Each mode runs in its own CI pass: the embedded one without TEST_DATABASE_URL, the server one with it.
t.setTimeout(300_000);

t.test('embedded mode: backup, wipe, restore, reopen with the secret', {
  skip: serverUrl() ? 'runs in the embedded-database pass (without TEST_DATABASE_URL)' : false,
  timeout: 240_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'backup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'data');
  // The secret the server would make for itself in the data folder.
  const secret = readOrCreateSecretFile(dataDir);
  const env = { DATA_DIR: dataDir };
  const archive = join(dir, 'backup.tar.gz');

  const open = async () => {
    const database = await connectDatabase({ kind: 'pglite', dataDir: join(dataDir, 'pgdata') });
    let closed = false;
    t.teardown(() => (closed ? undefined : database.close()));
    return { database, close: async () => void (closed || ((closed = true), await database.close())) };
  };
  const live = await open();
  await migrate(live.database.pool);
  const ta = await testApp(t, { database: live.database, env: { APP_SECRET: secret } });
  const code = await populate(ta);

  const busy = await cli('backup', [archive], env);
  t.equal(busy.code, 1, 'refused while the database is open (the server is running)');
  t.match(busy.err, /in use by process \d+; stop it first/);
  await ta.app.close();
  await live.close();

  const made = await cli('backup', [archive], env);
  t.equal(made.code, 0, made.err);
  t.match(made.out, 'APP_SECRET IS NOT IN THIS BACKUP');
  t.match(made.out, `secret is the file ${join(dataDir, 'app-secret')}, which was NOT included`);
  const tar = gunzipSync(readFileSync(archive)).toString('latin1');
  t.match(tar, 'PG_VERSION', 'the archive is the data folder');
  t.notOk(tar.includes(secret), 'the archive does not contain the secret');
  t.notOk(tar.includes('app-secret'), 'nor the secret file');
  t.equal((await cli('backup', [archive], env)).code, 1, 'an existing backup is never overwritten');

  rmSync(dataDir, { recursive: true, force: true });
  const refused = await cli('restore', [archive], env);
  t.equal(refused.code, 1);
  t.match(refused.err, 'without --yes');
  const restored = await cli('restore', [archive, '--yes'], env);
  t.equal(restored.code, 0, restored.err);
  t.match(restored.out, `Neither APP_SECRET nor ${join(dataDir, 'app-secret')} is set`, 'warns that the secret must be put back first');

  const back = await open();
  await checkRestored(t, back.database, secret, code);
});

t.test('PostgreSQL server: pg_dump backup, wipe, pg_restore; into an existing database too', {
  skip: serverUrl() ? false : 'needs TEST_DATABASE_URL',
  timeout: 240_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'backup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const archive = join(dir, 'backup.dump');
  const database = (await testDatabase(t)) as DatabaseHandle & { url: string };
  const ta = await testApp(t, { database });
  const code = await populate(ta);

  const made = await cli('backup', [archive], { DATABASE_URL: database.url, APP_SECRET: TEST_SECRET });
  t.equal(made.code, 0, made.err);
  t.match(made.out, 'APP_SECRET IS NOT IN THIS BACKUP');
  const script = await new Promise<string>((resolve, reject) =>
    execFile('pg_restore', ['--file=-', archive], { maxBuffer: 64 * 1024 * 1024 }, (err, out) => (err ? reject(err) : resolve(out))),
  );
  t.match(script, 'CREATE TABLE public.reports', 'the archive holds the schema and data');
  t.notOk(script.includes(TEST_SECRET) || readFileSync(archive).includes(TEST_SECRET), 'and not the secret');

  await sql`DROP SCHEMA public CASCADE`.execute(database.db);
  await sql`CREATE SCHEMA public`.execute(database.db);
  const restored = await cli('restore', [archive, '--yes'], { DATABASE_URL: database.url, APP_SECRET: TEST_SECRET });
  t.equal(restored.code, 0, restored.err);
  await t.test('restored into the wiped database', (t) => checkRestored(t, database, TEST_SECRET, code));

  const other = (await testDatabase(t)) as DatabaseHandle & { url: string };
  const extra = await testApp(t, { database: other });
  t.equal((await extra.app.inject({ method: 'POST', url: '/api/v1/reports', payload: VALID_REPORT })).statusCode, 201);
  const over = await cli('restore', [archive, '--yes'], { DATABASE_URL: other.url, APP_SECRET: TEST_SECRET });
  t.equal(over.code, 0, over.err);
  const reports = await other.db.selectFrom('reports').select('id').execute();
  t.equal(reports.length, 1, "over an existing database: the backup's reports replace what was there");
  await t.test('restored over an existing database', (t) => checkRestored(t, other, TEST_SECRET, code));
});
