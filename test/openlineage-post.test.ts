import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoProject, runCli } from './cli.js';

describe('posting lineage at the end of a run', () => {
  it('sends the START and COMPLETE OpenLineage events of the run to the configured endpoint', async () => {
    const received: { path: string; body: Record<string, unknown> }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(body) });
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const dir = await demoProject();
      const text = await readFile(join(dir, 'pipelines/demo.yaml'), 'utf8');
      await writeFile(
        join(dir, 'pipelines/demo.yaml'),
        text.replace(
          'path: ../out/demo/manifest.json',
          `path: ../out/demo/manifest.json\n  openlineage:\n    url: http://127.0.0.1:${port}/api/v1/lineage\n    namespace: training`,
        ),
      );
      const result = await runCli(['run', 'pipelines/demo.yaml', '--json'], { cwd: dir });
      expect(result.code, result.stderr).toBe(0);
      expect(received.map((r) => r.path)).toEqual(['/api/v1/lineage', '/api/v1/lineage']);
      expect(received.map((r) => r.body['eventType'])).toEqual(['START', 'COMPLETE']);
      expect(received[1]?.body['job']).toMatchObject({ namespace: 'training' });
    } finally {
      server.close();
    }
  });

  it('only warns when the endpoint is down: the dataset is committed', async () => {
    const dir = await demoProject();
    const text = await readFile(join(dir, 'pipelines/demo.yaml'), 'utf8');
    await writeFile(
      join(dir, 'pipelines/demo.yaml'),
      text.replace(
        'path: ../out/demo/manifest.json',
        'path: ../out/demo/manifest.json\n  openlineage:\n    url: http://127.0.0.1:9/api/v1/lineage\n    retries: 0',
      ),
    );
    const result = await runCli(['run', 'pipelines/demo.yaml'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('OpenLineage events were not delivered');
  });
});
