import { S3Client } from '../../src-main/s3/s3-client';
import { S3Transport } from '../../src-main/s3/s3-transport';
import type { S3Server, S3User } from '../helpers/s3-server';

/** A laptop's part in a shared bucket's policy: its S3 user and its machine folder (`dormouse status` → `machine.name`). */
export interface LaptopGrant {
  uid: string;
  machineFolder: string;
}

/**
 * The per-laptop bucket policy the README gives: each laptop's user may list the bucket (and its
 * pending uploads) and read everything under the prefix, and write, delete and abort uploads only
 * under `PREFIX/Dormouse/<its machine folder>/`. Principals in RGW's form (`arn:aws:iam:::user/UID`).
 */
export function perLaptopPolicy(bucket: string, prefix: string, laptops: readonly LaptopGrant[]): object {
  const top = prefix === '' ? '' : `${prefix}/`;
  return {
    Version: '2012-10-17',
    Statement: laptops.flatMap(({ uid, machineFolder }) => {
      const principal = { AWS: [`arn:aws:iam:::user/${uid}`] };
      return [
        { Sid: `${uid}-list`, Effect: 'Allow', Principal: principal, Action: ['s3:ListBucket', 's3:ListBucketMultipartUploads'], Resource: [`arn:aws:s3:::${bucket}`] },
        { Sid: `${uid}-read`, Effect: 'Allow', Principal: principal, Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${bucket}/${top}*`] },
        { Sid: `${uid}-write`, Effect: 'Allow', Principal: principal, Action: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'], Resource: [`arn:aws:s3:::${bucket}/${top}Dormouse/${machineFolder}/*`] },
      ];
    }),
  };
}

/** Puts a bucket policy (PutBucketPolicy, signed with the bucket owner's keys: the server's test user). */
export async function putBucketPolicy(server: S3Server, bucket: string, policy: object): Promise<void> {
  const transport = new S3Transport({ endpoint: server.endpoint, region: 'us-east-1', bucket, pathStyle: true, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } });
  await transport.exchange({ operation: 'PutBucketPolicy', method: 'PUT', query: [['policy', '']], headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(policy)) });
}

/** A path-style client of `bucket` with another user's keys. */
export function clientAs(server: S3Server, user: S3User, bucket: string): S3Client {
  return new S3Client({ endpoint: server.endpoint, region: 'us-east-1', bucket, pathStyle: true, credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey } });
}

/** The environment that gives the CLI a user's keys, as a person would export them. */
export function keysEnv(user: S3User): NodeJS.ProcessEnv {
  return { AWS_ACCESS_KEY_ID: user.accessKeyId, AWS_SECRET_ACCESS_KEY: user.secretAccessKey };
}
