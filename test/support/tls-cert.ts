/** Self-signed certificates for TLS tests, made by openssl (installed by scripts/setup.sh). */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * A one-day RSA certificate and its key, written into `dir` as `<name>.pem` and `<name>.key`; by default
 * for 127.0.0.1 (CN and subjectAltName), which is what loopback TLS servers in the tests present.
 */
export function selfSignedCertificate(
  dir: string,
  options: { name?: string; cn?: string; san?: string } = {},
): { cert: string; key: string } {
  const { name = 'server', cn = '127.0.0.1', san = 'IP:127.0.0.1' } = options;
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san}`];
  execFileSync('openssl', [...args, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}
