import type { VerifyReport } from '../../shared/types';

/** One archive's own verification, as the worker found it. */
export interface ArchiveVerdict {
  snapshotId: number;
  archivePath: string;
  ok: boolean;
  problems: string[];
  damaged: string[];
  /** False when the archive is encrypted and was read without its key: only its SHA-256 was checked. */
  contentsChecked: boolean;
}

/**
 * A snapshot is only as sound as every archive it depends on: an incremental whose full (or any
 * earlier link) is damaged cannot be restored whole, so it is reported damaged too, naming the
 * link and its damaged files.
 */
export function snapshotVerdicts(own: readonly ArchiveVerdict[], chainOf: (snapshotId: number) => readonly number[]): VerifyReport['snapshots'] {
  const byId = new Map(own.map((verdict) => [verdict.snapshotId, verdict]));
  return own.map((verdict) => {
    const problems = [...verdict.problems];
    const damaged = [...verdict.damaged];
    let ok = verdict.ok;
    let contentsChecked = verdict.contentsChecked;
    for (const linkId of chainOf(verdict.snapshotId)) {
      if (linkId === verdict.snapshotId) continue;
      const link = byId.get(linkId);
      if (link && !link.contentsChecked) contentsChecked = false;
      if (!link || link.ok) continue;
      ok = false;
      problems.push(`depends on snapshot ${linkId} (${link.archivePath}), which is damaged${link.damaged.length > 0 ? `: ${link.damaged.join(', ')}` : ''}`);
      for (const path of link.damaged) if (!damaged.includes(path)) damaged.push(path);
    }
    return { snapshotId: verdict.snapshotId, archivePath: verdict.archivePath, ok, problems, damaged, contentsChecked };
  });
}
