/** A destination as every front end shows it. */
export interface DestinationView {
  id: string;
  name: string;
  path: string;
  available: boolean;
  freeBytes: number | null;
}

export type Compression = 'none' | 'gzip';

/** A schedule as `dormouse schedule list` prints it and the settings window shows it. */
export interface ScheduleView {
  id: number;
  name: string;
  cron: string;
  description: string;
  enabled: boolean;
  sources: string[];
  excludes: string[];
  destination: string;
  compression: Compression;
  keepLast: number | null;
  lastSuccessAt: string | null;
  nextRunAt: string | null;
  overdue: boolean;
}

/** The next runs of a cron expression, for the schedule editor's preview and `dormouse cron`. */
export interface CronPreview {
  expression: string;
  description: string;
  next: string[];
}

/** What removing a destination did, so a person knows their archives were left alone. */
export interface DestinationRemoved {
  id: string;
  name: string;
  path: string;
}
