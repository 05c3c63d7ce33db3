import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporaryFolder } from '../helpers/cli';
import { noTerminalDriver, runInTerminal } from '../helpers/terminal';

/**
 * Where the CLI gets a passphrase, through a real process: --passphrase-file, else
 * DORMOUSE_PASSPHRASE, else a prompt on a real pseudo-terminal that shows nothing typed and asks a
 * new passphrase twice; refused with the reason when too short, and when no source is there.
 */

const probe = join(__dirname, 'passphrase-probe.ts');
const nodeArgs = ['--import', 'tsx', probe];

interface ProbeReport {
  passphrase?: string;
  error?: { code: string; message: string };
}

function withoutPassphraseVariable(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DORMOUSE_PASSPHRASE;
  delete env.NODE_OPTIONS;
  return env;
}

function runProbe(t: { after: (fn: () => void) => void }, args: string[], env: NodeJS.ProcessEnv): { code: number; report: ProbeReport } {
  const out = join(temporaryFolder(t), 'report.json');
  const result = spawnSync(process.execPath, [...nodeArgs, ...args], { env: { ...env, PROBE_OUT: out }, stdio: ['pipe', 'pipe', 'pipe'], encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.stderr, '', 'the probe printed no error of its own');
  return { code: result.status ?? -1, report: JSON.parse(readFileSync(out, 'utf8')) as ProbeReport };
}

test('--passphrase-file gives the passphrase (its trailing newline dropped), before DORMOUSE_PASSPHRASE', (t) => {
  const file = join(temporaryFolder(t), 'passphrase');
  writeFileSync(file, 'correct horse battery staple\n');
  const result = runProbe(t, ['--new', '--passphrase-file', file], { ...withoutPassphraseVariable(), DORMOUSE_PASSPHRASE: 'the variable, not the file' });
  assert.deepEqual(result, { code: 0, report: { passphrase: 'correct horse battery staple' } });
});

test('DORMOUSE_PASSPHRASE gives the passphrase when there is no file', (t) => {
  const result = runProbe(t, ['--new'], { ...withoutPassphraseVariable(), DORMOUSE_PASSPHRASE: 'tres palabras sin acento' });
  assert.deepEqual(result, { code: 0, report: { passphrase: 'tres palabras sin acento' } });
});

test('a new passphrase shorter than 12 characters is refused with the reason', (t) => {
  const result = runProbe(t, ['--new'], { ...withoutPassphraseVariable(), DORMOUSE_PASSPHRASE: 'elevenchars' });
  assert.equal(result.code, 2);
  assert.equal(result.report.error?.code, 'INVALID_INPUT');
  assert.match(result.report.error?.message ?? '', /has 11 characters; use at least 12/);
});

test('with no terminal and no other source, the error names the options that give a passphrase', (t) => {
  const result = runProbe(t, [], withoutPassphraseVariable());
  assert.equal(result.code, 2);
  assert.equal(result.report.error?.code, 'INVALID_INPUT');
  assert.match(result.report.error?.message ?? '', /no terminal.*--passphrase-file FILE or the DORMOUSE_PASSPHRASE environment variable/);
});

test('a missing passphrase file is refused, naming it', (t) => {
  const missing = join(temporaryFolder(t), 'nowhere');
  const result = runProbe(t, ['--passphrase-file', missing], withoutPassphraseVariable());
  assert.equal(result.code, 2);
  assert.match(result.report.error?.message ?? '', new RegExp(`cannot read the passphrase file ${missing} \\(ENOENT\\)`));
});

test('on a terminal, a new passphrase is asked twice and never shown', { skip: noTerminalDriver }, (t) => {
  const out = join(temporaryFolder(t), 'report.json');
  const typed = 'a long passphrase typed';
  const session = runInTerminal(process.execPath, [...nodeArgs, '--new'], [['Passphrase for the destination "Drive": ', `${typed}\r`], ['The same passphrase again: ', `${typed}\r`]], {
    env: { PROBE_OUT: out },
    unset: ['DORMOUSE_PASSPHRASE', 'NODE_OPTIONS'],
  });
  assert.equal(session.missedPrompt, null, session.screen);
  assert.equal(session.code, 0, session.screen);
  assert.ok(!session.screen.includes('typed'), `nothing typed is shown: ${JSON.stringify(session.screen)}`);
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), { passphrase: typed });
});

test('on a terminal, two different passphrases, or a short one, are refused', { skip: noTerminalDriver }, (t) => {
  const out = join(temporaryFolder(t), 'report.json');
  const differ = runInTerminal(process.execPath, [...nodeArgs, '--new'], [['Drive": ', 'first passphrase one\r'], ['again: ', 'second passphrase two\r']], {
    env: { PROBE_OUT: out },
    unset: ['DORMOUSE_PASSPHRASE', 'NODE_OPTIONS'],
  });
  assert.equal(differ.code, 2, differ.screen);
  assert.match((JSON.parse(readFileSync(out, 'utf8')) as ProbeReport).error?.message ?? '', /the two passphrases differ/);

  const short = runInTerminal(process.execPath, [...nodeArgs, '--new'], [['Drive": ', 'short\r']], { env: { PROBE_OUT: out }, unset: ['DORMOUSE_PASSPHRASE', 'NODE_OPTIONS'] });
  assert.equal(short.code, 2, short.screen);
  assert.ok(!short.screen.includes('again'), 'a short passphrase is refused before it is asked again');
  assert.match((JSON.parse(readFileSync(out, 'utf8')) as ProbeReport).error?.message ?? '', /has 5 characters; use at least 12/);
});
