import type { RefObject } from 'react';
import type { RequestOf } from '../../../shared/contract';
import type { S3KeyStorage } from '../../../shared/types';

/** What the person typed about a new S3 destination, except the secret key (kept only in its field, never in state). */
export interface S3Choice {
  url: string;
  endpoint: string;
  region: string;
  pathStyle: boolean;
  accessKeyId: string;
}

/** A new S3 destination starts with nothing typed, virtual-hosted-style. */
export const noS3: S3Choice = { url: '', endpoint: '', region: '', pathStyle: false, accessKeyId: '' };

/** The `s3` part of a `destinations:add` request: empty optional fields are left out, so the engine's defaults apply. */
export function s3Request(choice: S3Choice, secretAccessKey: string): NonNullable<RequestOf<'destinations:add'>['s3']> {
  const endpoint = choice.endpoint.trim();
  const region = choice.region.trim();
  return {
    url: choice.url.trim(),
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    pathStyle: choice.pathStyle,
    credentials: { accessKeyId: choice.accessKeyId.trim(), secretAccessKey },
  };
}

/**
 * The fields of an S3-compatible destination: its s3:// location, the service's endpoint and region
 * (both optional), path-style addressing and the keys. The secret key's field is uncontrolled: its
 * value lives only in the password input, is read when the form is sent, and is never rendered back.
 * Under it, where the keys will be kept: sealed by the system keychain, or in a file only this user can read.
 */
export function S3DestinationFields({ choice, onChange, secretRef, keyStorage }: { choice: S3Choice; onChange: (choice: S3Choice) => void; secretRef: RefObject<HTMLInputElement | null>; keyStorage: S3KeyStorage | null }) {
  return (
    <>
      <label>
        S3 location
        <input value={choice.url} onChange={(event) => onChange({ ...choice, url: event.target.value })} required placeholder="s3://bucket/prefix" spellCheck={false} aria-describedby="s3-url-hint" />
      </label>
      <p id="s3-url-hint" className="muted">
        The bucket, and optionally a prefix inside it: s3://BUCKET or s3://BUCKET/PREFIX.
      </p>
      <label>
        Endpoint URL (optional)
        <input type="url" value={choice.endpoint} onChange={(event) => onChange({ ...choice, endpoint: event.target.value })} placeholder="https://s3.example.com" spellCheck={false} aria-describedby="s3-endpoint-hint" />
      </label>
      <p id="s3-endpoint-hint" className="muted">
        Leave empty for Amazon S3; give the address of any other S3-compatible service (MinIO, Ceph, Backblaze B2, Wasabi…).
      </p>
      <label>
        Region (optional)
        <input value={choice.region} onChange={(event) => onChange({ ...choice, region: event.target.value })} placeholder="us-east-1" spellCheck={false} />
      </label>
      <label className="check">
        <input type="checkbox" checked={choice.pathStyle} onChange={(event) => onChange({ ...choice, pathStyle: event.target.checked })} /> Path-style addressing (the bucket in the path, as many self-hosted services want)
      </label>
      <label>
        Access key ID
        <input value={choice.accessKeyId} onChange={(event) => onChange({ ...choice, accessKeyId: event.target.value })} required autoComplete="off" spellCheck={false} />
      </label>
      <label>
        Secret access key
        <input ref={secretRef} type="password" defaultValue="" required autoComplete="new-password" spellCheck={false} aria-describedby={keyStorage ? 's3-key-storage' : undefined} />
      </label>
      {keyStorage && (
        <p id="s3-key-storage" className="muted">
          The keys are kept {keyStorage.where}.
        </p>
      )}
    </>
  );
}
