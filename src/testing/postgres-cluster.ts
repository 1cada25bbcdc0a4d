import { execFile, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A PostgreSQL server for tests: a throwaway local cluster, or the one `TEST_DATABASE_URL` names. */
export interface PostgresCluster {
  /** A superuser connection URL, e.g. `postgres://postgres@127.0.0.1:54321/postgres`. */
  url: string;
  /** Stops the cluster (immediately) and removes its directory; a no-op for `TEST_DATABASE_URL`. */
  stop(): Promise<void>;
}

const PG_ROOT = '/usr/lib/postgresql';

/**
 * Starts a PostgreSQL cluster for integration tests. Uses `TEST_DATABASE_URL` when set; otherwise
 * runs `initdb` into a fresh temp dir and `pg_ctl start` on a free loopback port with the highest
 * PostgreSQL version under `/usr/lib/postgresql/<v>/bin`. PostgreSQL refuses to run as root, so
 * as root the cluster runs as the `postgres` system user. The cluster is also stopped when the
 * owning process (`ownerPid`, default this one) dies without calling `stop`.
 *
 * @example
 * let pg: PostgresCluster;
 * beforeAll(async () => { pg = await startPostgresCluster(); });
 * afterAll(() => pg.stop());
 */
export async function startPostgresCluster(opts: { ownerPid?: number } = {}): Promise<PostgresCluster> {
  const external = process.env.TEST_DATABASE_URL;
  if (external) return { url: external, stop: async () => {} };

  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  // /tmp rather than os.tmpdir(): TMPDIR may point somewhere the postgres user cannot reach.
  const dir = mkdtempSync(join(asRoot ? '/tmp' : tmpdir(), 'sluice-pg-'));
  const dataDir = join(dir, 'data');
  const owner = asRoot ? postgresUser() : undefined;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const exec = (tool: string, args: string[]) => {
    const file = join(bin, tool);
    return asRoot
      ? run('runuser', ['-u', 'postgres', '--', file, ...args], { cwd: dir })
      : run(file, args, { cwd: dir });
  };

  let started = false;
  const stopSync = () => {
    if (!started) return;
    started = false;
    const args = ['-D', dataDir, 'stop', '-m', 'immediate', '-w'];
    try {
      if (asRoot)
        execFileSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args], { stdio: 'ignore' });
      else execFileSync(join(bin, 'pg_ctl'), args, { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A crashed or interrupted test process must not leave a server running.
  process.once('exit', stopSync);

  try {
    await exec('initdb', [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ]);
    const port = await freePort();
    const options = [
      '-c listen_addresses=127.0.0.1',
      `-c port=${port}`,
      `-c unix_socket_directories=${dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=50',
    ].join(' ');
    started = true;
    watchOwner(opts.ownerPid ?? process.pid, bin, dir, dataDir, asRoot);
    await exec('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      join(dir, 'server.log'),
      '-o',
      options,
      '-w',
      '-t',
      '60',
      'start',
    ]);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      stop: async () => {
        process.removeListener('exit', stopSync);
        stopSync();
      },
    };
  } catch (err) {
    process.removeListener('exit', stopSync);
    stopSync();
    rmSync(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`Could not start a test PostgreSQL cluster with \`${bin}\`: ${stderr || String(err)}`, {
      cause: err,
    });
  }
}

/**
 * A killed test process (SIGKILL, a worker torn down on timeout) runs no exit handler; a detached
 * watchdog stops the cluster and removes its directory once the process is gone.
 */
function watchOwner(pid: number, bin: string, dir: string, dataDir: string, asRoot: boolean): void {
  const pgCtl = `${asRoot ? 'runuser -u postgres -- ' : ''}'${join(bin, 'pg_ctl')}' -D '${dataDir}' stop -m immediate -w`;
  const script = `while kill -0 ${pid} 2>/dev/null; do sleep 1; done; if [ -d '${dataDir}' ]; then ${pgCtl} >/dev/null 2>&1; rm -rf '${dir}'; fi`;
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
}

/** The `bin` directory of the highest PostgreSQL version installed under `/usr/lib/postgresql`. */
export function findPostgresBin(root = PG_ROOT): string {
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    : [];
  const best = versions[0];
  if (best === undefined) {
    throw new Error(
      `No PostgreSQL server binaries under \`${root}/<version>/bin\`. Install them (e.g. \`apt-get install postgresql\`) or set TEST_DATABASE_URL.`,
    );
  }
  return join(root, best, 'bin');
}

function postgresUser(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch (cause) {
    throw new Error(
      'Tests run as root, and PostgreSQL refuses to run as root, but there is no `postgres` system user to run it as. Create one, run as another user, or set TEST_DATABASE_URL.',
      { cause },
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('Could not find a free port.'));
      });
    });
  });
}
