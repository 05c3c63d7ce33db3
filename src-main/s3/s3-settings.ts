/** The keys S3 signs requests with; never printed or logged. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** For temporary credentials (AWS STS); sent as x-amz-security-token. */
  sessionToken?: string;
}

/** Where a bucket lives and how to reach it. */
export interface S3Settings {
  /** The service's base URL, such as `https://s3.eu-west-1.amazonaws.com` or `http://127.0.0.1:7480`. */
  endpoint: string;
  /** The signing region (`us-east-1` where the service does not care). */
  region: string;
  bucket: string;
  /** Path-style (`endpoint/bucket/key`) rather than virtual-hosted-style (`bucket.endpoint/key`) addressing. */
  pathStyle: boolean;
  credentials: S3Credentials;
}

/** Where one request goes: the URL to connect to and the canonical path and host it is signed with. */
export interface RequestTarget {
  url: URL;
  /** The Host header: the endpoint's host, or `bucket.host` in virtual-hosted style. */
  host: string;
  /** The URI-encoded path, as sent and as signed (S3 signs it without normalising it). */
  path: string;
}

/** RFC 3986 percent-encoding of one URI component, as Signature V4 wants it (encodeURIComponent leaves !'()* alone). */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** An object key as a URI path: every segment encoded, the slashes kept. */
function encodeKey(key: string): string {
  return key.split('/').map(encodeRfc3986).join('/');
}

/** The URL, Host and canonical path of a request for `key` in the bucket (the bucket itself when key is undefined). */
export function requestTarget(settings: S3Settings, key?: string): RequestTarget {
  const base = new URL(settings.endpoint);
  const basePath = base.pathname.replace(/\/+$/, '');
  const keyPath = key === undefined ? '' : encodeKey(key);
  const path = settings.pathStyle
    ? `${basePath}/${encodeRfc3986(settings.bucket)}${key === undefined ? '' : `/${keyPath}`}`
    : `${basePath}/${keyPath}`;
  const host = settings.pathStyle ? base.host : `${settings.bucket}.${base.host}`;
  const url = new URL(base.href);
  url.host = host;
  url.pathname = path;
  return { url, host, path: path === '' ? '/' : path };
}
