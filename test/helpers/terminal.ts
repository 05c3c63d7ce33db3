import { spawnSync } from 'node:child_process';

/**
 * Runs a command on a real pseudo-terminal (python3's pty module), answering its prompts as a person
 * would: each step waits for the text to appear on the terminal, then types the answer. For the
 * programs that read a passphrase only from a terminal (age, and our own prompt).
 */

/** What the terminal showed and how the command ended. */
export interface TerminalResult {
  code: number;
  screen: string;
  /** The first step whose prompt never appeared, or null when all did. */
  missedPrompt: string | null;
}

const driver = String.raw`
import json, os, pty, select, sys, time
spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.chdir(spec['cwd'])
    env = dict(os.environ)
    env.update(spec['env'])
    for name in spec['unset']:
        env.pop(name, None)
    os.execvpe(spec['command'], [spec['command']] + spec['args'], env)
screen = b''
closed = False
deadline = time.time() + spec['timeout']
def read_some():
    global screen, closed
    ready, _, _ = select.select([fd], [], [], 0.1)
    if not ready:
        return
    try:
        data = os.read(fd, 65536)
    except OSError:
        data = b''
    if data:
        screen += data
    else:
        closed = True
missed = None
seen = 0
for expect, answer in spec['steps']:
    while screen.find(expect.encode(), seen) < 0 and not closed and time.time() < deadline:
        read_some()
    at = screen.find(expect.encode(), seen)
    if at < 0:
        missed = expect
        break
    seen = at + len(expect)
    time.sleep(0.2)
    os.write(fd, answer.encode())
while not closed and time.time() < deadline:
    read_some()
if not closed:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
print(json.dumps({'code': code, 'screen': screen.decode('utf-8', 'replace'), 'missedPrompt': missed}))
`;

/** Whether python3 is there to drive a pseudo-terminal. */
export const noTerminalDriver = spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' }).status === 0 ? false : 'python3 is not installed (apt-get install -y python3)';

/** Runs `command args` on a pseudo-terminal, typing each answer once its prompt has appeared. */
export function runInTerminal(
  command: string,
  args: string[],
  steps: [prompt: string, answer: string][],
  options: { cwd?: string; env?: Record<string, string>; unset?: string[]; timeoutSeconds?: number } = {},
): TerminalResult {
  const spec = { command, args, steps, cwd: options.cwd ?? process.cwd(), env: options.env ?? {}, unset: options.unset ?? [], timeout: options.timeoutSeconds ?? 30 };
  const result = spawnSync('python3', ['-c', driver, JSON.stringify(spec)], { encoding: 'utf8', timeout: (spec.timeout + 10) * 1000 });
  if (result.status !== 0) throw new Error(`the terminal driver failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as TerminalResult;
}
