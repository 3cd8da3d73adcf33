// How the event readers name themselves in errors: "ring buffer 'events'",
// "perf buffer" (unnamed map). One function, so the typed readers and the
// byte-level readers they wrap say the same thing.

/** The label of a `kind` reader over a map called `mapName` ("" when unnamed). */
export function readerLabel(kind: "ring buffer" | "perf buffer", mapName: string): string {
  return `${kind}${mapName ? ` '${mapName}'` : ""}`;
}
