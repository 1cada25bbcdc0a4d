import { it } from 'vitest';
import { startPostgresCluster } from '../../src/testing/postgres-cluster.js';
import { admin } from './test/harness.js';
it('debug', async () => {
  const pg = await startPostgresCluster();
  const r = await admin(pg.url, "SELECT castsource::regtype::text AS s, castfunc::regproc::text AS f, castmethod FROM pg_cast WHERE casttarget IN ('text'::regtype) ORDER BY 1");
  console.log(r.rows.map((x) => `${x.s}:${x.f}:${x.castmethod}`).join(' | '));
  await pg.stop();
});
