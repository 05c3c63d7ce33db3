import http from 'node:http';
import https from 'node:https';
import { sidecarPath } from '../archive-worker/archive-manifest';
import { withinTime } from '../common/files';
import { abortLeftoverUploads } from '../s3/leftover-uploads';
import { withRetries, type RetryPolicy } from '../s3/retry-policy';
import { S3Client } from '../s3/s3-client';
import { S3Error } from '../s3/s3-errors';
import { keyOfPath, locationPath } from '../s3/s3-location';
import type { S3Credentials } from '../s3/s3-settings';
import type { S3Location } from '../store/destination-store';
import { archivesFolderName, mayBeArchive } from './destination-layout';
import type { DestinationStorage, SmallRead, TimedAnswer } from './destination-storage';

/** How long one request of the owner's may stay silent before it fails as not answering. */
const requestTimeoutMs = 20_000;
/** Quick tries for the owner's small reads: the lists wait 3 s at most, a backup 30 s. */
const smallReadPolicy: RetryPolicy = { attempts: 4, firstDelayMs: 300, maxDelayMs: 1_000 };

/**
 * An S3 destination: a prefix in a bucket. Small files are objects right under the prefix
 * (`PREFIX/.dormouse-destination.json`, `PREFIX/.dormouse-key.age`, `PREFIX/RECOVERY.txt`); archives
 * are objects at the keys destination-layout.ts names, each published whole by its upload's completion.
 */
export class S3Storage implements DestinationStorage {
  readonly kind = 's3' as const;
  readonly location: string;
  readonly client: S3Client;
  private readonly agent: http.Agent;

  constructor(readonly s3: S3Location, credentials: S3Credentials) {
    this.location = locationPath(s3);
    // A connection per request: the owner makes few, and an idle kept-alive socket would hold a CLI's exit for its timeout.
    this.agent = s3.endpoint.startsWith('https:') ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false });
    this.client = new S3Client({ endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, pathStyle: s3.pathStyle, credentials }, { timeoutMs: requestTimeoutMs, agent: this.agent });
  }

  /** Waits for work at most `ms`; past that its requests are cut (they fail), so none lingers after the answer "not answering". */
  async within<T>(work: () => Promise<T>, ms: number): Promise<TimedAnswer<T>> {
    const answer = await withinTime(work(), ms);
    if (answer.timedOut) this.agent.destroy();
    return answer;
  }

  /** The key of a name right under the prefix. */
  keyOf(name: string): string {
    return this.s3.prefix === '' ? name : `${this.s3.prefix}/${name}`;
  }

  describe(name: string): string {
    return `${this.location}/${name}`;
  }

  /**
   * A small object (the marker, the key file), read again after a busy or failing answer: a moment
   * of 503s does not make the destination missing. A silent network is not waited for again (the
   * callers' own time limit says "not answering").
   */
  readSmall(name: string, maxBytes: number): Promise<SmallRead> {
    return withRetries(() => this.readSmallOnce(name, maxBytes), smallReadPolicy, { only: (error) => error.status !== null });
  }

  private async readSmallOnce(name: string, maxBytes: number): Promise<SmallRead> {
    const key = this.keyOf(name);
    const head = await this.client.headObject(key);
    if (head === null) {
      // A HEAD of a key in a bucket that is gone answers 404 too: the bucket's own HEAD tells them apart.
      await this.client.headBucket();
      return 'missing';
    }
    if (head.size > maxBytes) return 'too-large';
    try {
      return (await this.client.getObject(key)).body;
    } catch (error) {
      if (error instanceof S3Error && error.kind === 'no-such-key') return 'missing';
      throw error;
    }
  }

  async writeSmall(name: string, data: Buffer | string): Promise<void> {
    try {
      await this.client.putObject(this.keyOf(name), Buffer.from(data));
    } catch (error) {
      if (!(error instanceof S3Error && error.kind === 'access-denied')) throw error;
      // Keys limited to one machine's folder (a bucket policy per laptop) may not write here, and need not.
      throw new S3Error(
        error.kind,
        `${error.message}. Dormouse writes at the top of ${this.location} only when the prefix is first added (its marker, key file and RECOVERY.txt) and when its passphrase changes: do that with keys that may write there (the bucket owner's), adding it there first, then on each laptop with its own keys, which need write rights only under ${this.location}/${archivesFolderName}/<machine>/`,
        error.status,
        error.s3Code,
      );
    }
  }

  async removeSmall(name: string): Promise<void> {
    await this.client.deleteObject(this.keyOf(name));
  }

  freeBytes(): Promise<number | null> {
    return Promise.resolve(null);
  }

  async listArchives(): Promise<string[]> {
    const found: string[] = [];
    for await (const object of this.client.listAllObjects(`${this.keyOf(archivesFolderName)}/`)) {
      // Machine and schedule folders are one or two levels down, as on a drive.
      const depth = object.key.slice(this.keyOf(archivesFolderName).length + 1).split('/').length;
      if ((depth === 2 || depth === 3) && mayBeArchive(object.key)) found.push(`s3://${this.s3.bucket}/${object.key}`);
    }
    return found.sort();
  }

  async hasArchive(archivePath: string): Promise<boolean> {
    return (await this.client.headObject(keyOfPath(archivePath))) !== null;
  }

  async removeArchive(archivePath: string): Promise<void> {
    await this.client.deleteObject(keyOfPath(archivePath));
    await this.client.deleteObject(keyOfPath(sidecarPath(archivePath)));
  }

  /** Aborts the multipart uploads a crashed or killed backup of this schedule left: only this schedule's own folder, while its one job runs. */
  async removeLeftovers(scheduleFolder: string): Promise<void> {
    await abortLeftoverUploads(this.client, `${keyOfPath(scheduleFolder)}/`, new Date(Date.now() + 86_400_000));
  }
}
