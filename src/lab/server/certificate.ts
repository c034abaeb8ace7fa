import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AutotuneError } from '../../errors.js';

/** A self-signed certificate for 127.0.0.1 / localhost; the certificate is its own trust anchor. */
export interface LabCertificate {
  cert: string;
  key: string;
  caPath: string;
  /** Removes the files when they live in a temporary folder made here. */
  dispose(): Promise<void>;
}

export async function createLabCertificate(certDir: string | undefined): Promise<LabCertificate> {
  // Loaded here: the certificate library takes a noticeable part of a second to import.
  const { generate } = await import('selfsigned');
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: 'autotune lab' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 30 * 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  const temporary = certDir === undefined;
  let dir: string;
  try {
    if (certDir === undefined) dir = await mkdtemp(path.join(os.tmpdir(), 'autotune-lab-ca-'));
    else await mkdir((dir = path.resolve(certDir)), { recursive: true });
    const caPath = path.join(dir, 'lab-ca.pem');
    await writeFile(caPath, pems.cert);
    return {
      cert: pems.cert,
      key: pems.private,
      caPath,
      dispose: async () => {
        if (temporary) await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (cause) {
    throw new AutotuneError('E_INPUT', `cannot write the lab certificate to ${certDir ?? os.tmpdir()}`, {
      hint: 'pass a writable certDir',
      cause,
    });
  }
}
