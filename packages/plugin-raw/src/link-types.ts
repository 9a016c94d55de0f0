/** LINKTYPE_* values (tcpdump.org/linktypes.html) for the link layers the decoder understands. */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  /** DLT_RAW as some BSDs number it. */
  RAW_BSD12: 12,
  RAW_BSD14: 14,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** cap's `open()` returns a name, not a number: map the names it can return. */
export function linkTypeOfCapName(name: string): number | undefined {
  switch (name) {
    case 'ETHERNET':
      return LINKTYPE.ETHERNET;
    case 'NULL':
      return LINKTYPE.NULL;
    case 'LINKTYPE_LINUX_SLL':
      return LINKTYPE.LINUX_SLL;
    case 'RAW':
      return LINKTYPE.RAW;
    default: {
      const m = /Unknown linktype (\d+)/.exec(name);
      return m ? Number(m[1]) : undefined;
    }
  }
}
