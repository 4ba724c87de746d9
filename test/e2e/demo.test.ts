import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { assertBuilt } from '../support/built-cli.js';

const DEMO = fileURLToPath(new URL('../../scripts/demo.sh', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

function runDemo(env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [DEMO], { env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('close', (code) => {
      resolve({ code: code ?? -1, output });
    });
  });
}

describe('make demo (scripts/demo.sh), the README first sample', () => {
  beforeAll(assertBuilt);

  it('pins the image it pushed to a local registry, with no internet', async () => {
    const { code, output } = await runDemo({
      DEMO_PORT: String(await freePort()),
      DEMO_METRICS_PORT: String(await freePort()),
    });

    expect({ code, output }).toMatchObject({ code: 0 });
    const pushed = /^pushed (\S+), manifest (sha256:[0-9a-f]{64})$/m.exec(output);
    expect(pushed).not.toBeNull();
    const [, image, digest] = pushed!;
    expect(output).toContain(`"value": "${image}@${digest}"`);
    expect(output).toContain(`== pinned: ${image}@${digest}`);
    expect(output).toContain('allowed: true');
  }, 60_000);
});
