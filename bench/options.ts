// Command-line options the bench entry points share.

/** The value of `--name` as a positive integer (undefined when absent); anything else is an error naming the option. */
export function positiveIntOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} needs a positive integer, got '${text}'`);
  return n;
}
