/**
 * How a file name that is not valid UTF-8 is shown to people. Dormouse holds such a name with each
 * stray byte as the lone surrogate U+DC80–U+DCFF (src-main/archive-worker/byte-names.ts), which a
 * terminal or a page would show as "�"; shown here instead as `\xNN`, so nothing is decoded wrongly
 * or lost. Pure, so the CLI, the window and the worker say names the same way.
 */

/** The lone surrogate a stray byte 0xNN is held as is U+DC00 + NN (0x80–0xFF, so U+DC80–U+DCFF). */
export const escapeBase = 0xdc00;

/** Whether a character code stands for a byte that is not valid UTF-8. */
export function isEscapedByte(code: number): boolean {
  return code >= 0xdc80 && code <= 0xdcff;
}

/** A character standing for a byte that is not valid UTF-8. */
const escapedByte = /[\udc80-\udcff]/;

/** Whether a name holds escaped bytes, i.e. the file system must be given its bytes rather than the string. */
export function hasEscapedBytes(name: string): boolean {
  // A regular expression, not a loop over the characters: V8 answers at once for a name it holds as one byte per character (8× faster on a path).
  return escapedByte.test(name);
}

/** A name for people and logs: escaped bytes shown as `\xNN`, so nothing is decoded wrongly or lost. */
export function displayName(name: string): string {
  if (!hasEscapedBytes(name)) return name;
  let out = '';
  for (let i = 0; i < name.length; i += 1) {
    const code = name.charCodeAt(i);
    out += isEscapedByte(code) ? `\\x${(code - escapeBase).toString(16).padStart(2, '0')}` : name[i];
  }
  return out;
}
