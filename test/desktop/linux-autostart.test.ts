import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { autostartEntry, linuxAutostartFile, readLinuxAutostart, writeLinuxAutostart } from '../../src-main/desktop/linux-autostart';
import { temporaryFolder } from '../helpers/cli';

/**
 * Reads a desktop entry the way the Desktop Entry Specification (1.5) says a launcher does:
 * the [Desktop Entry] group's keys (spaces around "=" ignored), string escapes (\s \n \t \r \\;
 * like GLib, an unknown escape is kept as it is), then the Exec rules: arguments split on
 * unquoted spaces, double quotes undone (\" \` \$ \\ inside them), then field codes, where a
 * literal percent sign must be written %%.
 */
function parseDesktopEntry(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  let group: string | null = null;
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      group = header[1] as string;
      continue;
    }
    const pair = /^([A-Za-z0-9-]+(?:\[[^\]]+\])?)\s*=\s*(.*)$/.exec(line);
    assert.ok(pair, `a valid key=value line: ${JSON.stringify(line)}`);
    if (group === 'Desktop Entry') keys.set(pair[1] as string, pair[2] as string);
  }
  return keys;
}

function unescapeString(value: string): string {
  return value.replace(/\\(.)/g, (whole, char: string) => ({ s: ' ', n: '\n', t: '\t', r: '\r', '\\': '\\' })[char] ?? whole);
}

function execArguments(exec: string): string[] {
  const value = unescapeString(exec);
  const args: string[] = [];
  let current: string | null = null;
  for (let i = 0; i < value.length; i += 1) {
    const char = value[i] as string;
    if (char === ' ') {
      if (current !== null) args.push(current);
      current = null;
    } else if (char === '"') {
      current ??= '';
      for (i += 1; i < value.length && value[i] !== '"'; i += 1) {
        if (value[i] === '\\' && /["`$\\]/.test(value[i + 1] ?? '')) i += 1;
        current += value[i];
      }
      assert.ok(i < value.length, `an unterminated quote in Exec=${exec}`);
    } else {
      assert.ok(!/["`$\\]/.test(char) || char === '\\', `a reserved character ${char} outside quotes in Exec=${exec}`);
      current = (current ?? '') + char;
    }
  }
  if (current !== null) args.push(current);
  return args.map((arg) =>
    arg.replace(/%(.?)/g, (_whole, code: string) => {
      if (code === '%') return '%';
      throw new assert.AssertionError({ message: `Exec=${exec} has "%${code}", which is not a field code; a literal % must be written %%` });
    }),
  );
}

function execOf(file: string): string[] {
  const exec = parseDesktopEntry(readFileSync(file, 'utf8')).get('Exec');
  assert.ok(exec !== undefined, 'the entry has an Exec key');
  return execArguments(exec);
}

test('the entry goes to $XDG_CONFIG_HOME/autostart/dormouse.desktop, or ~/.config when it is unset or relative', () => {
  assert.equal(linuxAutostartFile({ XDG_CONFIG_HOME: '/home/me/.cfg' }, '/home/me'), '/home/me/.cfg/autostart/dormouse.desktop');
  assert.equal(linuxAutostartFile({}, '/home/me'), '/home/me/.config/autostart/dormouse.desktop');
  assert.equal(linuxAutostartFile({ XDG_CONFIG_HOME: '' }, '/home/me'), '/home/me/.config/autostart/dormouse.desktop');
  assert.equal(linuxAutostartFile({ XDG_CONFIG_HOME: 'relative/config' }, '/home/me'), '/home/me/.config/autostart/dormouse.desktop');
});

test('writeLinuxAutostart writes a valid desktop entry that starts the app hidden, creating the folder', (t) => {
  const config = temporaryFolder(t, 'dormouse-autostart-');
  const file = linuxAutostartFile({ XDG_CONFIG_HOME: config });
  writeLinuxAutostart(file, true, ['/opt/Dormouse/dormouse']);
  assert.equal(file, join(config, 'autostart', 'dormouse.desktop'));
  const text = readFileSync(file, 'utf8');
  assert.ok(text.startsWith('[Desktop Entry]\n'), text);
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const keys = parseDesktopEntry(text);
  assert.equal(keys.get('Type'), 'Application');
  assert.equal(keys.get('Name'), 'Dormouse');
  assert.equal(keys.get('Exec'), '/opt/Dormouse/dormouse --hidden');
  assert.equal(keys.get('Terminal'), 'false');
  assert.notEqual(keys.get('Hidden'), 'true');
  assert.deepEqual(execOf(file), ['/opt/Dormouse/dormouse', '--hidden']);
  const mode = statSync(file).mode & 0o777;
  assert.ok((mode & 0o600) === 0o600 && (mode & 0o111) === 0, `an ordinary readable, non-executable file (mode ${mode.toString(8)})`);
  assert.deepEqual(readdirSync(join(config, 'autostart')), ['dormouse.desktop'], 'no temporary file is left behind');
  assert.equal(readLinuxAutostart(file), true);
});

test('paths with spaces are quoted so the launcher gets them back as one argument each', (t) => {
  const config = temporaryFolder(t, 'dormouse-autostart-');
  const file = linuxAutostartFile({ XDG_CONFIG_HOME: config });
  const command = ['/home/me/My Programs/node', '/home/me/dev folder/dormouse'];
  writeLinuxAutostart(file, true, command);
  const exec = parseDesktopEntry(readFileSync(file, 'utf8')).get('Exec');
  assert.equal(exec, '"/home/me/My Programs/node" "/home/me/dev folder/dormouse" --hidden');
  assert.deepEqual(execOf(file), [...command, '--hidden']);
  assert.equal(readLinuxAutostart(file), true);
});

test('quotes, dollar signs and backticks in a path survive the launcher\'s unquoting', (t) => {
  const config = temporaryFolder(t, 'dormouse-autostart-');
  const file = linuxAutostartFile({ XDG_CONFIG_HOME: config });
  const command = ['/home/me/Apps/$HOME "x" `y`/Dormouse.AppImage'];
  writeLinuxAutostart(file, true, command);
  assert.deepEqual(execOf(file), [...command, '--hidden']);
});

test('a percent sign in a path is escaped as %% (a lone % starts a field code in Exec)', (t) => {
  const config = temporaryFolder(t, 'dormouse-autostart-');
  const file = linuxAutostartFile({ XDG_CONFIG_HOME: config });
  const command = ['/home/me/100%/Dormouse.AppImage'];
  writeLinuxAutostart(file, true, command);
  assert.deepEqual(execOf(file), [...command, '--hidden'], readFileSync(file, 'utf8'));
});

test('autostartEntry is the same text writeLinuxAutostart writes', (t) => {
  const config = temporaryFolder(t, 'dormouse-autostart-');
  const file = join(config, 'autostart', 'dormouse.desktop');
  writeLinuxAutostart(file, true, ['/usr/bin/dormouse']);
  assert.equal(readFileSync(file, 'utf8'), autostartEntry(['/usr/bin/dormouse']));
});

test('readLinuxAutostart is false without the entry, and writing twice keeps one entry with the new command', (t) => {
  const config = temporaryFolder(t, 'dormouse-autostart-');
  const file = linuxAutostartFile({ XDG_CONFIG_HOME: config });
  assert.equal(readLinuxAutostart(file), false);
  writeLinuxAutostart(file, true, ['/old/dormouse']);
  writeLinuxAutostart(file, true, ['/new/dormouse']);
  assert.deepEqual(execOf(file), ['/new/dormouse', '--hidden']);
  assert.equal(readLinuxAutostart(file), true);
});

test('removing the entry turns it off, and removing an absent entry is fine', (t) => {
  const config = temporaryFolder(t, 'dormouse-autostart-');
  const file = linuxAutostartFile({ XDG_CONFIG_HOME: config });
  writeLinuxAutostart(file, true, ['/usr/bin/dormouse']);
  writeLinuxAutostart(file, false, ['/usr/bin/dormouse']);
  assert.equal(existsSync(file), false);
  assert.equal(readLinuxAutostart(file), false);
  assert.doesNotThrow(() => writeLinuxAutostart(file, false, ['/usr/bin/dormouse']));
  assert.doesNotThrow(() => writeLinuxAutostart(join(config, 'never-made', 'autostart', 'dormouse.desktop'), false, ['/usr/bin/dormouse']));
});

test('Hidden=true (how desktops switch an entry off) counts as off, and so does X-GNOME-Autostart-enabled=false', (t) => {
  const config = temporaryFolder(t, 'dormouse-autostart-');
  const file = linuxAutostartFile({ XDG_CONFIG_HOME: config });
  writeLinuxAutostart(file, true, ['/usr/bin/dormouse']);
  appendFileSync(file, 'Hidden=true\n');
  assert.equal(readLinuxAutostart(file), false);

  writeLinuxAutostart(file, true, ['/usr/bin/dormouse']);
  assert.equal(readLinuxAutostart(file), true, 'writing again replaces the disabled entry');
  writeFileSync(file, readFileSync(file, 'utf8').replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'));
  assert.equal(readLinuxAutostart(file), false);

  writeFileSync(file, readFileSync(file, 'utf8').replace('X-GNOME-Autostart-enabled=false', 'X-GNOME-Autostart-enabled=true') + 'Hidden=false\n');
  assert.equal(readLinuxAutostart(file), true, 'Hidden=false is on');
});

test('an entry written by hand elsewhere in the autostart folder is not Dormouse\'s', (t) => {
  const config = temporaryFolder(t, 'dormouse-autostart-');
  mkdirSync(join(config, 'autostart'));
  writeFileSync(join(config, 'autostart', 'other.desktop'), '[Desktop Entry]\nType=Application\nName=Other\nExec=other\n');
  assert.equal(readLinuxAutostart(linuxAutostartFile({ XDG_CONFIG_HOME: config })), false);
});
