// hpack.js ships no types; this is the part reprise uses.
declare module 'hpack.js' {
  interface Decompressor {
    write(chunk: Buffer): boolean;
    execute(): void;
    read(): { name: string; value: string; neverIndex: boolean } | null;
    on(event: 'error', listener: (error: unknown) => void): this;
  }
  interface Compressor {
    write(headers: Array<{ name: string; value: string }>): boolean;
    read(): Buffer | null;
  }
  const hpack: {
    decompressor: { create(options: { table: { size: number } }): Decompressor };
    compressor: { create(options: { table: { size: number } }): Compressor };
  };
  export default hpack;
}
