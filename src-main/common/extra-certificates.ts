import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

/**
 * Certificate authorities a user adds with NODE_EXTRA_CA_CERTS (a company's own, an S3 service's
 * self-signed one), kept working in the archive worker without making every worker start pay for
 * them. Node reads and parses that file as a process starts, whether or not it ever opens a TLS
 * connection: 35 ms of each start on a machine where it names Debian's bundle of 140 authorities.
 * The worker opens TLS connections only for an S3 destination over HTTPS, so it is started with the
 * file's name under another variable and reads it when its first HTTPS request goes out.
 */

/** The variable that carries NODE_EXTRA_CA_CERTS's file to a process started by deferExtraCertificates. */
export const deferredCertificatesVariable = 'DORMOUSE_EXTRA_CA_CERTS';

/** A child's environment with NODE_EXTRA_CA_CERTS handed on for httpsContext to read, not for Node to read at start. */
export function deferExtraCertificates(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: file, ...rest } = env;
  return file === undefined || file === '' ? rest : { ...rest, [deferredCertificatesVariable]: file };
}

let context: SecureContext | null | undefined;

/**
 * The TLS context HTTPS requests take in a process started with deferExtraCertificates: Node's own
 * authorities and the file's, made once. Undefined elsewhere (Node's defaults, which hold
 * NODE_EXTRA_CA_CERTS already) and, as Node does at start, when the file cannot be read or holds no
 * certificate.
 */
export function httpsContext(): SecureContext | undefined {
  if (context === undefined) {
    context = null;
    const file = process.env[deferredCertificatesVariable];
    if (file) {
      try {
        context = createSecureContext({ ca: [...rootCertificates, readFileSync(file, 'utf8')] });
      } catch {
        context = null;
      }
    }
  }
  return context ?? undefined;
}
