import { after, before } from 'node:test';
import http from 'node:http';
import { S3Client, type S3ClientOptions } from '../../src-main/s3/s3-client';
import type { S3Credentials, S3Settings } from '../../src-main/s3/s3-settings';
import { noCeph, startS3Server, type S3Server } from '../helpers/s3-server';
import { waitFor } from '../helpers/trees';

export { noCeph };

/** Starts one gateway for the test file (before its tests) and stops it after them; `server()` returns it. */
export function useS3Server(): () => S3Server {
  let server: S3Server | undefined;
  before(async () => {
    if (noCeph) return;
    server = await startS3Server();
    process.stdout.write(`# the Ceph RADOS Gateway started in ${server.startMs} ms at ${server.endpoint}\n`);
  });
  after(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('the S3 server did not start (see the before hook)');
    return server;
  };
}

/** The test user's keys. */
export function keysOf(server: S3Server): S3Credentials {
  return { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
}

/** A path-style client of `bucket` on the server (or on `settings.endpoint`, such as a fault proxy's). */
export function clientOf(server: S3Server, bucket: string, settings: Partial<S3Settings> = {}, options: S3ClientOptions = {}): S3Client {
  return new S3Client({ endpoint: server.endpoint, region: 'us-east-1', bucket, pathStyle: true, credentials: keysOf(server), ...settings }, options);
}

/** An agent whose connections all go to 127.0.0.1, whatever the host: virtual-hosted-style names without DNS. */
export function loopbackAgent(): http.Agent {
  return new http.Agent({
    keepAlive: true,
    lookup: (_host, options, callback) => {
      if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(null, '127.0.0.1', 4);
    },
  });
}

/** A job as the CLI prints it, with what the S3 tests look at. */
export interface JobSeen {
  id: number;
  status: string;
  archivePath: string | null;
  error: { code: string; message: string } | null;
}

/** The keys under Dormouse/ a bucket shows: what a backup published. */
export async function visibleArchives(server: S3Server, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of clientOf(server, bucket).listAllObjects('Dormouse/')) keys.push(object.key);
  return keys.sort();
}

/** How many multipart uploads under Dormouse/ are begun and neither completed nor aborted. */
export async function pendingUploads(server: S3Server, bucket: string): Promise<number> {
  return (await clientOf(server, bucket).listMultipartUploads({ prefix: 'Dormouse/' })).uploads.length;
}

/** The gateway once useS3Server's hook has started it, for a file's own `before` (which Node 20 may run beside that hook). */
export function startedServer(server: () => S3Server): Promise<S3Server> {
  return waitFor('the S3 gateway to start', () => {
    try {
      return server();
    } catch {
      return null;
    }
  }, 180_000);
}
