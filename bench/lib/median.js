/** The middle value (the upper one of an even count): a round's outlier on a shared machine does not move it. */
export function median(values) {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}
