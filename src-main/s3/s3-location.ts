import { DormouseError } from '../../shared/errors';
import type { S3Location } from '../store/destination-store';

/**
 * An S3 destination's location as people write it (`s3://BUCKET[/PREFIX]`) and as archive paths in
 * the catalog start; the keys of its objects are the prefix, a slash, and the path inside it.
 */

const urlScheme = 's3://';

/** Bucket names as S3-compatible services take them (AWS's rules, plus the capitals and underscores older services allow). */
const bucketPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$/;

/** The region where none is given: what AWS signs global requests with, and what MinIO, Ceph and R2 ("auto" aside) accept. */
export const defaultRegion = 'us-east-1';

/** AWS's endpoint for a region, where no --endpoint is given. */
export function awsEndpoint(region: string): string {
  return `https://s3.${region}.amazonaws.com`;
}

/** Reads `s3://BUCKET[/PREFIX]`: the bucket and the prefix without slashes at either end; a clear error for anything else. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  if (!url.startsWith(urlScheme)) throw new DormouseError('INVALID_INPUT', `"${url}" is not an S3 location; write it as s3://BUCKET or s3://BUCKET/PREFIX`);
  const rest = url.slice(urlScheme.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  if (!bucketPattern.test(bucket)) {
    throw new DormouseError('INVALID_INPUT', `"${bucket}" is not a bucket name: 3 to 63 letters, digits, dots, hyphens or underscores, starting and ending with a letter or digit; write the location as s3://BUCKET[/PREFIX]`);
  }
  const controls = [...prefix].some((character) => character.charCodeAt(0) < 0x20 || character.charCodeAt(0) === 0x7f);
  if (controls || /\/\/|(^|\/)\.\.?(\/|$)|\\/.test(prefix)) {
    throw new DormouseError('INVALID_INPUT', `the prefix "${prefix}" has an empty, "." or ".." part, a backslash or a control character; use plain names separated by /`);
  }
  return { bucket, prefix };
}

/** Checks an endpoint URL (http or https, no query); returns it without a trailing slash. */
export function checkEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new DormouseError('INVALID_INPUT', `--endpoint "${endpoint}" is not a URL; give the service's address, such as https://s3.eu-central-1.amazonaws.com or http://127.0.0.1:9000`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new DormouseError('INVALID_INPUT', `--endpoint "${endpoint}" must be an http:// or https:// address with no query, fragment or user name`);
  }
  return url.href.replace(/\/+$/, '');
}

/** `s3://BUCKET[/PREFIX]`: how the destination's path reads in lists, and how its archive paths start. */
export function locationPath(location: Pick<S3Location, 'bucket' | 'prefix'>): string {
  return `${urlScheme}${location.bucket}${location.prefix === '' ? '' : `/${location.prefix}`}`;
}

/** Whether a destination path or archive path is an S3 one. */
export function isS3Path(path: string): boolean {
  return path.startsWith(urlScheme);
}

/** The object key of a path under an S3 destination (`s3://BUCKET/KEY` → `KEY`). */
export function keyOfPath(path: string): string {
  if (!isS3Path(path)) throw new DormouseError('INTERNAL', `${path} is not an S3 path`);
  const rest = path.slice(urlScheme.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? '' : rest.slice(slash + 1);
}

/** The bucket of an S3 path. */
export function bucketOfPath(path: string): string {
  const rest = path.slice(urlScheme.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? rest : rest.slice(0, slash);
}
