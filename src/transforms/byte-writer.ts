/** A growable UTF-8 byte buffer that Utf8 kernels write values into, with the offsets of each value. */
export class ByteWriter {
  bytes: Uint8Array;
  pos = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(capacity, 64));
  }

  reserve(extra: number): void {
    if (this.pos + extra <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.pos + extra));
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
  }

  write(part: Uint8Array): void {
    this.reserve(part.length);
    this.bytes.set(part, this.pos);
    this.pos += part.length;
  }

  writeRange(src: Uint8Array, start: number, end: number): void {
    this.reserve(end - start);
    for (let p = start; p < end; p++) this.bytes[this.pos++] = src[p]!;
  }

  /** Writes a code unit < 0x80. */
  byte(b: number): void {
    this.reserve(1);
    this.bytes[this.pos++] = b;
  }

  /** Writes an ASCII string. */
  ascii(text: string): void {
    this.reserve(text.length);
    for (let i = 0; i < text.length; i++) this.bytes[this.pos++] = text.charCodeAt(i);
  }

  /** The written bytes (a view, trimmed when much smaller than the buffer). */
  finish(): Uint8Array {
    return this.pos * 2 < this.bytes.length
      ? this.bytes.slice(0, this.pos)
      : this.bytes.subarray(0, this.pos);
  }
}
