import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DormouseError } from '../../shared/errors';
import type { S3Credentials } from '../s3/s3-settings';

/**
 * The keys for a new S3 destination, as the AWS tools find them: `--profile NAME` from the shared
 * credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), else
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) in the environment, else the
 * file's AWS_PROFILE or `default` profile. Errors name what to set; the keys themselves are never in a message.
 */
export function awsCredentials(profile: string | undefined, env: NodeJS.ProcessEnv = process.env): S3Credentials {
  if (profile === undefined && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  }
  const file = env.AWS_SHARED_CREDENTIALS_FILE || join(homedir(), '.aws', 'credentials');
  const wanted = profile ?? env.AWS_PROFILE ?? 'default';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    if (profile !== undefined) throw new DormouseError('INVALID_INPUT', `--profile ${profile}: cannot read the AWS credentials file ${file}; create it, or set AWS_SHARED_CREDENTIALS_FILE to where it is`);
    throw new DormouseError('INVALID_INPUT', 'no S3 keys given: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile of ~/.aws/credentials with --profile NAME');
  }
  const section = profileSection(text, wanted);
  if (section === null) {
    if (profile === undefined) throw new DormouseError('INVALID_INPUT', `no S3 keys given: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile of ${file} with --profile NAME`);
    throw new DormouseError('INVALID_INPUT', `${file} has no profile [${wanted}]; check the name given to --profile`);
  }
  const accessKeyId = section.get('aws_access_key_id');
  const secretAccessKey = section.get('aws_secret_access_key');
  if (!accessKeyId || !secretAccessKey) throw new DormouseError('INVALID_INPUT', `profile [${wanted}] of ${file} needs both aws_access_key_id and aws_secret_access_key`);
  const sessionToken = section.get('aws_session_token');
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** The keys of one `[name]` section of an INI file, or null when there is none. */
function profileSection(text: string, name: string): Map<string, string> | null {
  let current: Map<string, string> | null = null;
  let found: Map<string, string> | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header) {
      current = header[1] === name ? new Map() : null;
      if (current) found = current;
      continue;
    }
    const equals = line.indexOf('=');
    if (current && equals > 0) current.set(line.slice(0, equals).trim().toLowerCase(), line.slice(equals + 1).trim());
  }
  return found;
}
