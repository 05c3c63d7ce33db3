import { readFile } from 'node:fs/promises';
import { DormouseError } from '../../shared/errors';
import { checkNewPassphrase } from './passphrase-rules';

/**
 * Where the CLI gets a destination's passphrase: `--passphrase-file FILE`, else the
 * DORMOUSE_PASSPHRASE environment variable, else a prompt on the terminal that does not echo
 * (asked twice when the passphrase is new). With none of them, a clear error naming all three.
 */

/** The environment variable a passphrase may come from. */
export const passphraseVariable = 'DORMOUSE_PASSPHRASE';

/** What readPassphrase needs to know; the terminal defaults to the process's stdin and stderr. */
export interface PassphraseRequest {
  /** `--passphrase-file`: a file holding the passphrase (one trailing newline is dropped). */
  passphraseFile?: string | undefined;
  /** True when the passphrase is being chosen (a new key, a new passphrase): asked twice, at least 12 characters. */
  isNew: boolean;
  /** Words for the prompt, such as `for the destination "Drive"`. */
  purpose: string;
  env?: NodeJS.ProcessEnv;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WritableStream;
}

/** Biggest passphrase file read: a passphrase is a line, not a document. */
const maxFileSize = 4096;

/** The passphrase from the first source that gives one, checked as a new passphrase when `isNew`. */
export async function readPassphrase(request: PassphraseRequest): Promise<string> {
  const env = request.env ?? process.env;
  let passphrase: string;
  if (request.passphraseFile !== undefined) passphrase = await fromFile(request.passphraseFile);
  else if (env[passphraseVariable] !== undefined) passphrase = fromVariable(env[passphraseVariable] as string);
  else passphrase = await fromTerminal(request);
  if (request.isNew) checkNewPassphrase(passphrase);
  return passphrase;
}

async function fromFile(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new DormouseError('INVALID_INPUT', `cannot read the passphrase file ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give a file that holds the passphrase on one line`);
  }
  if (bytes.length > maxFileSize) throw new DormouseError('INVALID_INPUT', `the passphrase file ${path} is ${bytes.length} bytes; it should hold only the passphrase, on one line`);
  const text = bytes.toString('utf8').replace(/\r?\n$/, '');
  if (/[\r\n]/.test(text)) throw new DormouseError('INVALID_INPUT', `the passphrase file ${path} holds more than one line; it should hold only the passphrase, on one line`);
  if (text === '') throw new DormouseError('INVALID_INPUT', `the passphrase file ${path} is empty; write the passphrase into it, on one line`);
  return text;
}

function fromVariable(value: string): string {
  if (value === '') throw new DormouseError('INVALID_INPUT', `${passphraseVariable} is set but empty; set it to the passphrase, or unset it to be asked on the terminal`);
  return value;
}

async function fromTerminal(request: PassphraseRequest): Promise<string> {
  const input = request.input ?? process.stdin;
  const output = request.output ?? process.stderr;
  if (!input.isTTY) {
    throw new DormouseError(
      'INVALID_INPUT',
      `a passphrase is needed ${request.purpose}, and there is no terminal to ask it on; give it with --passphrase-file FILE or the ${passphraseVariable} environment variable`,
    );
  }
  const first = await promptHidden(input, output, `Passphrase ${request.purpose}: `);
  if (!request.isNew) return first;
  checkNewPassphrase(first);
  const second = await promptHidden(input, output, 'The same passphrase again: ');
  if (second !== first) throw new DormouseError('INVALID_INPUT', 'the two passphrases differ; nothing was changed, run the command again and type the same passphrase twice');
  return first;
}

/** Reads one line from the terminal in raw mode, echoing nothing; Ctrl-C or Ctrl-D cancels. */
function promptHidden(input: NodeJS.ReadStream, output: NodeJS.WritableStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error: DormouseError | null): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (text: string): void => {
      for (const character of text) {
        if (character === '\r' || character === '\n') return finish(null);
        if (character === '\u0003' || (character === '\u0004' && typed === '')) return finish(new DormouseError('CANCELLED', 'cancelled at the passphrase prompt; nothing was changed'));
        if (character === '\u007f' || character === '\b') typed = [...typed].slice(0, -1).join('');
        else if (character >= ' ') typed += character;
      }
    };
    input.setRawMode(true);
    output.write(prompt);
    input.setEncoding('utf8');
    input.on('data', onData);
    input.resume();
  });
}
