import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { freePort } from '../support/mail.js';
import { sleep } from '../support/processes.js';

// Issue 15: SIGTERM to `npm start` left `node dist/server.js` listening, holding the embedded
// database. The start script ends in `exec … node`, so the shell npm runs becomes the server and
// the signal npm passes on reaches it: one SIGTERM stops it, draining as the server always does.

t.setTimeout(300_000);

/** True once nothing listens on the port (we can listen there ourselves). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

t.test('npm start stops with one SIGTERM: the port is free within 10 s', { timeout: 280_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'npm-start-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !['DATABASE_URL', 'APP_SECRET', 'DATA_DIR', 'SMTP_URL', 'MAIL_FROM', 'PORT', 'HOST', 'PUBLIC_URL'].includes(k)),
  );
  // Its own process group, so that a failed test can still end whatever npm started.
  const npm = spawn('npm', ['start'], {
    env: { ...inherited, DATA_DIR: dir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  npm.stdout!.on('data', (c: Buffer) => (out += c));
  npm.stderr!.on('data', (c: Buffer) => (out += c));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => npm.once('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  t.teardown(() => {
    try {
      process.kill(-npm.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });

  // npm start builds first (prestart), then the server runs its migrations.
  const deadline = Date.now() + 240_000;
  let status = 0;
  while (Date.now() < deadline && !gone) {
    status = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status, () => 0);
    if (status === 200) break;
    await sleep(250);
  }
  t.equal(status, 200, 'npm start serves /', { output: out });

  const signalledAt = Date.now();
  npm.kill('SIGTERM');
  let free = false;
  while (!free && Date.now() - signalledAt < 10_000) {
    free = await portFree(port);
    if (!free) await sleep(100);
  }
  t.ok(free, `the port is free ${Date.now() - signalledAt} ms after one SIGTERM to npm`);
  const exit = await Promise.race([exited, sleep(10_000).then(() => null)]);
  t.ok(exit, 'npm itself has exited');
  t.notMatch(out, /shutdown failed/, 'the server shut down cleanly');
});
