import { inputRaw } from './input-raw.js';

export { inputRaw };
export type { InputRawOptions } from './input-raw.js';
export { PcapReader } from './pcap-reader.js';
export { PacketProcessor } from './packet-processor.js';

export default [inputRaw];
