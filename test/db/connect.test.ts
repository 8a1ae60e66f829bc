import t from 'tap';
import { connectDatabase } from '../../src/db/connect.js';
import { serverUrl } from '../support/app.js';

// migrate, backup and the CLIs use a handle through its pool alone: closing the handle must end
// the pool's connections too, or the process never exits.
t.test('a handle used only through its pool closes its connections', async (t) => {
  const url = serverUrl();
  const handle = await connectDatabase(url ? { kind: 'pg', url, poolSize: 2 } : { kind: 'pglite', dataDir: null });
  await handle.pool.query('SELECT 1');
  t.equal(handle.pool.totalCount, 1, 'one connection open');
  await handle.close();
  t.equal(handle.pool.totalCount, 0, 'none left');
  t.ok(handle.pool.ended, 'the pool is ended');
});
