/**
 * The base64 age writes in its headers: standard alphabet, no `=` padding, and only canonical
 * encodings accepted (the spec requires decoders to refuse any other spelling of the same bytes).
 */

const base64Characters = /^[A-Za-z0-9+/]*$/;

/** Encodes bytes as age writes them in a header: unpadded standard base64. */
export function encodeAgeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

/** Decodes unpadded canonical base64, or returns null when the text is anything else. */
export function decodeAgeBase64(text: string): Buffer | null {
  if (!base64Characters.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64');
  return encodeAgeBase64(bytes) === text ? bytes : null;
}
