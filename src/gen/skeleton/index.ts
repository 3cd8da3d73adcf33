// TEMPORARY SHIM (branch genbuild): stands in for the skeleton helper's
// generateSkeleton until the `skeleton` branch is merged; replaced by theirs.
/** Options of generateSkeleton (contract-11 §3). */
export interface SkeletonOptions {
  readonly name?: string;
  readonly objectPath?: string;
  readonly types?: readonly string[];
  readonly eventTypes?: Readonly<Record<string, string>>;
  readonly importFrom?: string;
}
/** What generateSkeleton returns. */
export interface SkeletonOutput { readonly source: string; readonly notes: readonly string[]; }
/** Shim: a module that exports the object's bytes. */
export function generateSkeleton(object: Uint8Array, options: SkeletonOptions): SkeletonOutput {
  const body = options.objectPath !== undefined
    ? `export const objectPath = ${JSON.stringify(options.objectPath)};\n`
    : `export const object = Buffer.from(${JSON.stringify(Buffer.from(object).toString("base64"))}, "base64");\n`;
  return { source: `// shim skeleton for ${options.name ?? "object"}\n${body}`, notes: [] };
}
