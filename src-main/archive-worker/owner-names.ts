import { accountId, accountName } from '../common/accounts';

/** The user name of a uid, or '' when this system has none: what tar records beside the number. */
export function userName(uid: number): string {
  return accountName('user', uid) ?? '';
}

/** The group name of a gid, or '' when this system has none. */
export function groupName(gid: number): string {
  return accountName('group', gid) ?? '';
}

/** The uid a restore gives a file: the recorded user's number on this system when the name is known here, else the recorded number (a restore on another machine gives files to the same person). */
export function restoredUid(name: string | undefined, uid: number): number {
  return (name ? accountId('user', name) : undefined) ?? uid;
}

/** The gid a restore gives a file, by the same rule as the uid. */
export function restoredGid(name: string | undefined, gid: number): number {
  return (name ? accountId('group', name) : undefined) ?? gid;
}
