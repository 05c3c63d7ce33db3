/**
 * The contract's field names as the CLI's options spell them: the engine checks every payload
 * against the shared schemas and names the field at fault ("changes.excludes[0]: must not be
 * empty"), which on the command line is the option the person typed ("--exclude: must not be empty").
 */
const optionOfField: Readonly<Record<string, string>> = {
  name: '--name',
  sources: '--source',
  excludes: '--exclude',
  destination: '--destination',
  cron: '--cron',
  compression: '--compression',
  keepLast: '--keep-last',
  keepDaily: '--keep-daily',
  keepWeekly: '--keep-weekly',
  keepMonthly: '--keep-monthly',
  path: '--path',
  paths: '--path',
  to: '--to',
  endpoint: '--endpoint',
  region: '--region',
  profile: '--profile',
};

/** An INVALID_INPUT message with each field it names at the start of a problem put as its option. */
export function inOptionWords(message: string): string {
  return message.replace(/(^|; )(?:changes\.)?([a-zA-Z]+)(?:\[\d+\])?: /g, (whole, start: string, field: string) => {
    const option = optionOfField[field];
    return option === undefined ? whole : `${start}${option}: `;
  });
}
