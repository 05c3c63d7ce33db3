// The S3 bench's service: the same throwaway Ceph RADOS Gateway the S3 tests start, with a TCP proxy
// in front of it that counts the bytes each way (the tests' fault proxy, never told to fail), so
// every Dormouse command the bench times talks to the gateway through it.
import { S3Client } from '../../src-main/s3/s3-client';
import { startFaultProxy, type ProxyCounters } from '../helpers/fault-proxy';
import { noCeph, startS3Server } from '../helpers/s3-server';

/** Why the S3 rows cannot be measured here (Ceph missing, and how to install it), or false. */
export const gatewayMissing: string | false = noCeph;

/** A running gateway with one bucket, reached through a counting proxy. */
export interface BenchGateway {
  /** The proxy's address: what `destination add --endpoint` is given. */
  endpoint: string;
  bucket: string;
  /** Bytes sent to the gateway (`bytesUp`) and by it (`bytesDown`) so far. */
  counters: ProxyCounters;
  /** The environment a `dormouse` command needs for the gateway's keys (and no AWS file of the user's). */
  env: NodeJS.ProcessEnv;
  /** How long the cluster took to start, in milliseconds. */
  startMs: number;
  /** The size of an object in the bucket, asked of the gateway itself (not counted). */
  objectSize(key: string): Promise<number>;
  /** Stops the proxy and the gateway, and removes the cluster's folder. */
  stop(): Promise<void>;
}

/** Starts a gateway (a single-node cluster on memstore, in RAM), makes `bucket`, and puts the counting proxy in front. */
export async function startBenchGateway(bucket: string, noAwsFile: string): Promise<BenchGateway> {
  const server = await startS3Server();
  try {
    const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', bucket, pathStyle: true, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } });
    await client.createBucket();
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: server.port });
    return {
      endpoint: proxy.endpoint,
      bucket,
      counters: proxy.counters,
      env: { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_SHARED_CREDENTIALS_FILE: noAwsFile },
      startMs: server.startMs,
      objectSize: async (key) => {
        const info = await client.headObject(key);
        if (info === null) throw new Error(`no object ${key} in ${bucket}`);
        return info.size;
      },
      stop: async () => {
        try {
          await proxy.close();
        } finally {
          await server.stop();
        }
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
