import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServingTls } from '../../src/tls/serving-tls.js';

describe('ServingTls.fromFiles', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'digest-pinner-serving-tls-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("reports the certificate's problem when both files fail, though the key's failed sooner", async () => {
    // Reading a directory fails only after it was opened; a missing key fails at its open.
    const certPath = directory;
    const keyPath = join(directory, 'none.key');

    for (let attempt = 0; attempt < 5; attempt++) {
      await expect(ServingTls.fromFiles({ certPath, keyPath })).rejects.toMatchObject({
        code: 'EISDIR',
      });
    }
  });

  it('names the missing key when the certificate is there', async () => {
    const { certPem } = ServingTls.selfSigned({ dnsNames: ['localhost'], ipAddresses: [] }).current;
    const certPath = join(directory, 'tls.crt');
    await writeFile(certPath, certPem);

    await expect(
      ServingTls.fromFiles({ certPath, keyPath: join(directory, 'none.key') }),
    ).rejects.toThrow(/none\.key/);
  });
});
