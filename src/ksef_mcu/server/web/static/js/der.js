/**
 * A small DER (ITU-T X.690) writer and the minimal reader needed to open key files and certificates.
 *
 * Writers return Uint8Array encodings. The reader returns elements `{tag, content, encoded, end}` whose byte arrays
 * are views into the input; it accepts DER only (definite, minimal lengths; low tag numbers) and throws
 * `FormatError` for anything else, which callers turn into a message that says what file was broken.
 */

/** The input is not the DER (or Base64) it should be. Internal: callers translate it for the user. */
export class FormatError extends Error {
  constructor(message) {
    super(message);
    this.name = "FormatError";
  }
}

/** Universal tags used here (constructed SEQUENCE/SET included). */
export const Tag = Object.freeze({
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  SEQUENCE: 0x30,
  SET: 0x31,
});

const textEncoder = new TextEncoder();
const PRINTABLE_STRING = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** The concatenation of byte arrays. */
export function concat(parts) {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function encodeLength(length) {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One TLV: `tag` (one byte) with `content`. */
export function tlv(tag, content) {
  return concat([Uint8Array.of(tag), encodeLength(content.length), content]);
}

/** SEQUENCE of the given encodings, in order. */
export function sequence(...children) {
  return tlv(Tag.SEQUENCE, concat(children));
}

function compareBytes(a, b) {
  for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
    if (a[index] !== b[index]) return a[index] - b[index];
  }
  return a.length - b.length;
}

/** SET OF the given encodings, sorted as DER requires. */
export function setOf(...children) {
  return tlv(Tag.SET, concat([...children].sort(compareBytes)));
}

/** NULL. */
export function nullValue() {
  return Uint8Array.of(Tag.NULL, 0);
}

/** OCTET STRING holding `bytes`. */
export function octetString(bytes) {
  return tlv(Tag.OCTET_STRING, bytes);
}

/** BIT STRING holding whole bytes (no unused bits). */
export function bitString(bytes) {
  return tlv(Tag.BIT_STRING, concat([Uint8Array.of(0), bytes]));
}

/**
 * INTEGER from a non-negative number, BigInt, or big-endian unsigned magnitude (Uint8Array), minimally encoded.
 */
export function unsignedInteger(value) {
  let magnitude;
  if (value instanceof Uint8Array) {
    magnitude = value;
  } else {
    let rest = BigInt(value);
    if (rest < 0n) throw new RangeError("unsignedInteger takes non-negative values");
    const bytes = [];
    do {
      bytes.unshift(Number(rest & 0xffn));
      rest >>= 8n;
    } while (rest > 0n);
    magnitude = Uint8Array.from(bytes);
  }
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start += 1;
  const trimmed = magnitude.length ? magnitude.subarray(start) : Uint8Array.of(0);
  return tlv(Tag.INTEGER, trimmed[0] & 0x80 ? concat([Uint8Array.of(0), trimmed]) : trimmed);
}

/** OBJECT IDENTIFIER from its dotted form ("1.2.840.10045.2.1"). */
export function objectIdentifier(dotted) {
  if (!/^[0-2](\.(0|[1-9][0-9]*))+$/.test(dotted)) throw new RangeError(`not an OID: ${dotted}`);
  const arcs = dotted.split(".").map(BigInt);
  if (arcs[0] < 2n && arcs[1] >= 40n) throw new RangeError(`not an OID: ${dotted}`);
  const bytes = [];
  for (const arc of [arcs[0] * 40n + arcs[1], ...arcs.slice(2)]) {
    const groups = [Number(arc & 0x7fn)];
    for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) groups.unshift(Number(rest & 0x7fn) | 0x80);
    bytes.push(...groups);
  }
  return tlv(Tag.OID, Uint8Array.from(bytes));
}

/** UTF8String. */
export function utf8String(text) {
  return tlv(Tag.UTF8_STRING, textEncoder.encode(text));
}

/** Whether `text` fits a PrintableString (X.680: letters, digits, space and '()+,-./:=?). */
export function isPrintableString(text) {
  return PRINTABLE_STRING.test(text);
}

/** PrintableString; throws RangeError for characters it cannot carry. */
export function printableString(text) {
  if (!isPrintableString(text)) throw new RangeError("not a PrintableString");
  return tlv(Tag.PRINTABLE_STRING, textEncoder.encode(text));
}

/** Context-specific [number], constructed (explicit tagging, IMPLICIT SET/SEQUENCE) unless `constructed` is false. */
export function contextSpecific(number, content, constructed = true) {
  return tlv((constructed ? 0xa0 : 0x80) | number, content);
}

// --- reading --------------------------------------------------------------------------------------------------------

/** The element starting at `offset`: `{tag, content, encoded, end}` (`end` is the offset after it). */
export function readElement(bytes, offset = 0) {
  if (offset + 2 > bytes.length) throw new FormatError("truncated element");
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) throw new FormatError("high tag numbers are not used here");
  let length = bytes[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw new FormatError("indefinite length is not DER");
    if (count > 4 || start + count > bytes.length) throw new FormatError("bad length");
    length = 0;
    for (let index = 0; index < count; index += 1) length = length * 256 + bytes[start + index];
    if (length < 0x80 || bytes[start] === 0) throw new FormatError("non-minimal length is not DER");
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) throw new FormatError("element runs past the end of the data");
  return { tag, content: bytes.subarray(start, end), encoded: bytes.subarray(offset, end), end };
}

/** The single element that makes up all of `bytes` (trailing data is an error). */
export function readWhole(bytes) {
  const element = readElement(bytes, 0);
  if (element.end !== bytes.length) throw new FormatError("trailing data after the element");
  return element;
}

/** The children of a constructed element (SEQUENCE, SET, [n]). */
export function childrenOf(element) {
  if (!(element.tag & 0x20)) throw new FormatError("not a constructed element");
  const children = [];
  for (let offset = 0; offset < element.content.length; ) {
    const child = readElement(element.content, offset);
    children.push(child);
    offset = child.end;
  }
  return children;
}

/** Throws FormatError unless `element` has `tag`; returns the element. */
export function expectTag(element, tag) {
  if (!element || element.tag !== tag) throw new FormatError(`expected tag 0x${tag.toString(16)}`);
  return element;
}

/** The dotted form of an OBJECT IDENTIFIER element. */
export function readObjectIdentifier(element) {
  const content = expectTag(element, Tag.OID).content;
  if (!content.length || content[content.length - 1] & 0x80) throw new FormatError("bad OID");
  const arcs = [];
  let value = 0n;
  for (let index = 0; index < content.length; index += 1) {
    if (value === 0n && content[index] === 0x80) throw new FormatError("non-minimal OID arc");
    value = (value << 7n) | BigInt(content[index] & 0x7f);
    if (!(content[index] & 0x80)) {
      arcs.push(value);
      value = 0n;
    }
  }
  const first = arcs[0] < 80n ? arcs[0] / 40n : 2n;
  return [first, arcs[0] - first * 40n, ...arcs.slice(1)].join(".");
}

/** A non-negative INTEGER element as a Number; throws for negative or unsafe (above 2^53 - 1) values. */
export function readSmallInteger(element) {
  const content = expectTag(element, Tag.INTEGER).content;
  if (!content.length || content[0] & 0x80) throw new FormatError("negative or empty INTEGER");
  if (content.length > 1 && content[0] === 0 && !(content[1] & 0x80)) throw new FormatError("non-minimal INTEGER");
  let value = 0;
  for (const byte of content) value = value * 256 + byte;
  if (!Number.isSafeInteger(value)) throw new FormatError("INTEGER too large");
  return value;
}
