import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { S3Error } from './s3-errors';
import type { HttpResponse } from './s3-http';
import type { S3Settings } from './s3-settings';
import { declaredLength, S3Transport, type RequestOptions, type S3Request, type TransportOptions } from './s3-transport';
import { encodeXml, xmlElements, xmlText } from './s3-xml';

/** How the client talks to the service. */
export type S3ClientOptions = TransportOptions;

/** Per-request options (a cancel or deadline signal), from the transport. */
export type { RequestOptions };

/** An object as a listing or HeadObject shows it. */
export interface S3ObjectInfo {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
}

/** One page of ListObjectsV2. */
export interface ObjectPage {
  objects: S3ObjectInfo[];
  /** With a delimiter: the "folders" one level down. */
  commonPrefixes: string[];
  /** Pass back as continuationToken for the next page; null on the last page. */
  nextContinuationToken: string | null;
}

/** A multipart upload begun and neither completed nor aborted. */
export interface PendingUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

/** One page of ListMultipartUploads. */
export interface UploadPage {
  uploads: PendingUpload[];
  /** Pass both back for the next page; null on the last page. */
  next: { keyMarker: string; uploadIdMarker: string } | null;
}

/** A part already uploaded, as CompleteMultipartUpload wants it. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
}

/** Bytes read from an object, and what the answer said of the whole object. */
export interface ObjectBytes {
  body: Buffer;
  /** The whole object's size, from Content-Range (ranged reads) or Content-Length. */
  objectSize: number;
  etag: string;
}

/** An inclusive byte range, as HTTP Range has it: `start` to `end`, both counted. */
export interface ByteRange {
  start: number;
  end: number;
}

function headerText(response: HttpResponse, name: string): string {
  const value = response.headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

/** The bytes a 206 answer's Content-Range says it holds; null for a whole-object answer. */
function servedRange(response: HttpResponse): ByteRange | null {
  const range = /^bytes (\d+)-(\d+)\//.exec(headerText(response, 'content-range'));
  return range ? { start: Number(range[1]), end: Number(range[2]) } : null;
}

function objectSizeOf(response: HttpResponse): number {
  const range = /\/(\d+)$/.exec(headerText(response, 'content-range'));
  return Number(range ? range[1] : headerText(response, 'content-length'));
}

/**
 * The S3 operations Dormouse uses, against AWS or any S3-compatible service (path-style or
 * virtual-hosted-style), signed with Signature V4. Each call is one attempt: retrying is the
 * caller's choice (see withRetries and MultipartUpload). Failures are S3Error with a message that
 * says what to do.
 */
export class S3Client {
  readonly settings: S3Settings;
  private readonly transport: S3Transport;

  constructor(settings: S3Settings, options: S3ClientOptions = {}) {
    this.settings = settings;
    this.transport = new S3Transport(settings, options);
  }

  /** Checks that the bucket exists and the keys may use it. */
  async headBucket(options: RequestOptions = {}): Promise<void> {
    await this.transport.exchange({ ...options, operation: 'HeadBucket', method: 'HEAD' });
  }

  /** Creates the bucket (in the client's region; S3 wants no location for us-east-1). */
  async createBucket(options: RequestOptions = {}): Promise<void> {
    const region = this.settings.region;
    const body = region === 'us-east-1' ? undefined : Buffer.from(`<CreateBucketConfiguration><LocationConstraint>${encodeXml(region)}</LocationConstraint></CreateBucketConfiguration>`);
    await this.transport.exchange({ ...options, operation: 'CreateBucket', method: 'PUT', body });
  }

  /** Writes a small object in one request (a marker, a manifest); returns its ETag. */
  async putObject(key: string, body: Buffer, options: RequestOptions & { contentType?: string } = {}): Promise<string> {
    const headers: Record<string, string> = { 'content-md5': createHash('md5').update(body).digest('base64') };
    if (options.contentType) headers['content-type'] = options.contentType;
    const { response } = await this.transport.exchange({ ...options, operation: 'PutObject', method: 'PUT', key, body, headers });
    return headerText(response, 'etag');
  }

  /**
   * Reads an object, or the bytes `range` names of it, into memory. A body shorter than the answer
   * promised, or a range answered with other bytes than asked (a proxy that ignored Range), fails
   * as a lost connection: worth trying again, never taken as the object's bytes.
   */
  async getObject(key: string, options: RequestOptions & { range?: ByteRange } = {}): Promise<ObjectBytes> {
    const request = this.openRequest(key, options);
    const { response, body } = await this.transport.exchange(request);
    const objectSize = objectSizeOf(response);
    if (options.range) {
      const wanted = Math.min(options.range.end, objectSize - 1) - options.range.start + 1;
      const served = servedRange(response);
      if (served === null || served.start !== options.range.start || body.length !== wanted) throw this.transport.cutShort(request, body.length, wanted);
    }
    return { body, objectSize, etag: headerText(response, 'etag') };
  }

  /**
   * Opens an object (or a range of it, or its bytes from `from` on) as a stream, for reading a large
   * object once from start to end; a connection lost midway, or a body shorter than promised, fails
   * the stream. `from` answered with other bytes than asked fails as a lost connection (as getObject's
   * ranges do); `ifMatch` (an ETag) makes a replaced object fail with kind "object-changed".
   */
  async getObjectStream(key: string, options: RequestOptions & { range?: ByteRange; from?: number; ifMatch?: string } = {}): Promise<{ body: Readable; objectSize: number; etag: string }> {
    const request = this.openRequest(key, options);
    const response = await this.transport.send(request);
    if (options.from !== undefined) {
      const served = servedRange(response);
      if (served === null || served.start !== options.from) {
        response.body.destroy();
        throw this.transport.lost(request, new Error(`the answer held the object's bytes from ${served?.start ?? 0}, not from ${options.from} as asked`));
      }
    }
    const promised = declaredLength(response);
    let received = 0;
    const transport = this.transport;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        done(null, chunk);
      },
      flush(done) {
        done(promised !== null && received !== promised ? transport.cutShort(request, received, promised) : null);
      },
    });
    response.body.on('error', (error) => {
      // A connection closed before the body's end: said as ls and restore's ranged reads say it.
      const closedEarly = (error as NodeJS.ErrnoException).code === 'ECONNRESET' && promised !== null && received < promised;
      counted.destroy(closedEarly ? transport.cutShort(request, received, promised) : transport.lost(request, error));
    });
    response.body.pipe(counted);
    return { body: counted, objectSize: objectSizeOf(response), etag: headerText(response, 'etag') };
  }

  /** An object's size, ETag and date, or null when there is no such object. */
  async headObject(key: string, options: RequestOptions = {}): Promise<S3ObjectInfo | null> {
    try {
      const { response } = await this.transport.exchange({ ...options, operation: 'HeadObject', method: 'HEAD', key });
      return { key, size: Number(headerText(response, 'content-length')), etag: headerText(response, 'etag'), lastModified: new Date(headerText(response, 'last-modified')) };
    } catch (error) {
      if (error instanceof S3Error && error.kind === 'no-such-key') return null;
      throw error;
    }
  }

  /** One page of the objects whose keys start with `prefix` (ListObjectsV2), in key order. */
  async listObjects(options: RequestOptions & { prefix?: string; delimiter?: string; continuationToken?: string; maxKeys?: number } = {}): Promise<ObjectPage> {
    const query: Array<[string, string]> = [['list-type', '2']];
    if (options.prefix !== undefined) query.push(['prefix', options.prefix]);
    if (options.delimiter !== undefined) query.push(['delimiter', options.delimiter]);
    if (options.continuationToken !== undefined) query.push(['continuation-token', options.continuationToken]);
    if (options.maxKeys !== undefined) query.push(['max-keys', String(options.maxKeys)]);
    const xml = await this.transport.exchangeXml({ ...options, operation: 'ListObjectsV2', method: 'GET', query });
    const objects = xmlElements(xml, 'Contents').map((entry) => ({
      key: xmlText(entry, 'Key') ?? '',
      size: Number(xmlText(entry, 'Size') ?? 0),
      etag: xmlText(entry, 'ETag') ?? '',
      lastModified: new Date(xmlText(entry, 'LastModified') ?? 0),
    }));
    const commonPrefixes = xmlElements(xml, 'CommonPrefixes').map((entry) => xmlText(entry, 'Prefix') ?? '');
    const truncated = xmlText(xml, 'IsTruncated') === 'true';
    return { objects, commonPrefixes, nextContinuationToken: truncated ? xmlText(xml, 'NextContinuationToken') : null };
  }

  /** Every object under `prefix`, page after page. */
  async *listAllObjects(prefix: string, options: RequestOptions = {}): AsyncGenerator<S3ObjectInfo> {
    let continuationToken: string | undefined;
    do {
      const page = await this.listObjects({ ...options, prefix, continuationToken });
      yield* page.objects;
      continuationToken = page.nextContinuationToken ?? undefined;
    } while (continuationToken !== undefined);
  }

  /** Deletes one object; deleting one that is not there is not an error (as in S3). */
  async deleteObject(key: string, options: RequestOptions = {}): Promise<void> {
    await this.transport.exchange({ ...options, operation: 'DeleteObject', method: 'DELETE', key });
  }

  /** Deletes up to 1000 objects in one request; returns the keys that could not be deleted, with why. */
  async deleteObjects(keys: readonly string[], options: RequestOptions = {}): Promise<Array<{ key: string; code: string; message: string }>> {
    if (keys.length === 0) return [];
    if (keys.length > 1000) throw new S3Error('invalid-request', `DeleteObjects takes at most 1000 keys at a time, not ${keys.length}`);
    const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet>${keys.map((key) => `<Object><Key>${encodeXml(key)}</Key></Object>`).join('')}</Delete>`);
    const headers = { 'content-md5': createHash('md5').update(body).digest('base64'), 'content-type': 'application/xml' };
    const xml = await this.transport.exchangeXml({ ...options, operation: 'DeleteObjects', method: 'POST', query: [['delete', '']], headers, body });
    return xmlElements(xml, 'Error').map((entry) => ({ key: xmlText(entry, 'Key') ?? '', code: xmlText(entry, 'Code') ?? '', message: xmlText(entry, 'Message') ?? '' }));
  }

  /** Begins a multipart upload of `key`; returns its upload id. Nothing is visible under the key until it completes. */
  async createMultipartUpload(key: string, options: RequestOptions & { contentType?: string } = {}): Promise<string> {
    const headers: Record<string, string> = options.contentType ? { 'content-type': options.contentType } : {};
    const xml = await this.transport.exchangeXml({ ...options, operation: 'CreateMultipartUpload', method: 'POST', key, query: [['uploads', '']], headers });
    const uploadId = xmlText(xml, 'UploadId');
    if (!uploadId) throw new S3Error('server-error', `CreateMultipartUpload of ${key}: the answer held no UploadId`);
    return uploadId;
  }

  /** Uploads part `partNumber` (1–10000) of an upload; returns its ETag. The server checks the bytes against Content-MD5. */
  async uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer, options: RequestOptions = {}): Promise<string> {
    const headers = { 'content-md5': createHash('md5').update(body).digest('base64') };
    const query: Array<[string, string]> = [['partNumber', String(partNumber)], ['uploadId', uploadId]];
    const { response } = await this.transport.exchange({ ...options, operation: `UploadPart ${partNumber}`, method: 'PUT', key, query, headers, body });
    return headerText(response, 'etag');
  }

  /** Completes an upload from its parts (in part order): the object becomes visible now, whole. */
  async completeMultipartUpload(key: string, uploadId: string, parts: readonly UploadedPart[], options: RequestOptions = {}): Promise<string> {
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload>${sorted.map((part) => `<Part><PartNumber>${part.partNumber}</PartNumber><ETag>${encodeXml(part.etag)}</ETag></Part>`).join('')}</CompleteMultipartUpload>`);
    const xml = await this.transport.exchangeXml({ ...options, operation: 'CompleteMultipartUpload', method: 'POST', key, query: [['uploadId', uploadId]], headers: { 'content-type': 'application/xml' }, body });
    const etag = xmlText(xml, 'ETag');
    if (etag) return etag;
    // Ceph's gateway (16.2) answers with an empty ETag: the object's own tells.
    return (await this.headObject(key, options))?.etag ?? '';
  }

  /** Aborts an upload: its parts are dropped and nothing appears under the key. */
  async abortMultipartUpload(key: string, uploadId: string, options: RequestOptions = {}): Promise<void> {
    await this.transport.exchange({ ...options, operation: 'AbortMultipartUpload', method: 'DELETE', key, query: [['uploadId', uploadId]] });
  }

  /** One page of the uploads begun under `prefix` and neither completed nor aborted (such as those a crash left). */
  async listMultipartUploads(options: RequestOptions & { prefix?: string; keyMarker?: string; uploadIdMarker?: string } = {}): Promise<UploadPage> {
    const query: Array<[string, string]> = [['uploads', '']];
    if (options.prefix !== undefined) query.push(['prefix', options.prefix]);
    if (options.keyMarker !== undefined) query.push(['key-marker', options.keyMarker]);
    if (options.uploadIdMarker !== undefined) query.push(['upload-id-marker', options.uploadIdMarker]);
    const xml = await this.transport.exchangeXml({ ...options, operation: 'ListMultipartUploads', method: 'GET', query });
    const uploads = xmlElements(xml, 'Upload').map((entry) => ({
      key: xmlText(entry, 'Key') ?? '',
      uploadId: xmlText(entry, 'UploadId') ?? '',
      initiated: new Date(xmlText(entry, 'Initiated') ?? 0),
    }));
    const truncated = xmlText(xml, 'IsTruncated') === 'true';
    const next = truncated ? { keyMarker: xmlText(xml, 'NextKeyMarker') ?? '', uploadIdMarker: xmlText(xml, 'NextUploadIdMarker') ?? '' } : null;
    return { uploads, next };
  }

  private openRequest(key: string, options: RequestOptions & { range?: ByteRange; from?: number; ifMatch?: string }): S3Request {
    const headers: Record<string, string> = {};
    if (options.range) headers.range = `bytes=${options.range.start}-${options.range.end}`;
    else if (options.from !== undefined) headers.range = `bytes=${options.from}-`;
    if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
    return { signal: options.signal, operation: 'GetObject', method: 'GET', key, headers };
  }
}
