// Element-op errno → typed error, with map-specific meaning: ENOENT is a
// missing key (not a missing object), E2BIG on an update is a full map or an
// index past the end of an array.
import * as E from "../sys/errno.js";
import {
  type BpfError,
  errorFromErrno,
  InvalidArgumentError,
  KeyExistsError,
  KeyNotFoundError,
  NoSpaceError,
  NotSupportedError,
} from "../sys/errors.js";
import { isArrayLikeType, mapTypeName } from "./types.js";

/** What an element error message needs to know about the map. */
export interface MapIdentity {
  readonly type: number;
  readonly name: string;
  readonly maxEntries: number;
}

/** "hash map 'counts'". */
export function describeMap(m: MapIdentity): string {
  return `${mapTypeName(m.type)} map${m.name ? ` '${m.name}'` : ""}`;
}

/** The typed error for a failed element command on `m`. */
export function elemError(errno: number, operation: string, m: MapIdentity): BpfError {
  const what = describeMap(m);
  const d = { operation, errno };
  switch (errno) {
    case E.ENOENT:
      return new KeyNotFoundError(`${operation} (${what}): key not found`, d);
    case E.EEXIST:
      return new KeyExistsError(`${operation} (${what}): key already exists (BPF_NOEXIST)`, d);
    case E.E2BIG:
      if (operation === "BPF_MAP_UPDATE_ELEM" && isArrayLikeType(m.type)) {
        return new InvalidArgumentError(`${operation} (${what}): index out of range (max_entries ${m.maxEntries})`, "key", d);
      }
      if (operation === "BPF_MAP_UPDATE_ELEM") {
        return new NoSpaceError(`${operation} (${what}): the map is full (max_entries ${m.maxEntries})`, d);
      }
      break;
    case E.ENOSPC:
      if (operation === "BPF_MAP_UPDATE_ELEM") {
        return new NoSpaceError(`${operation} (${what}): the map is full (max_entries ${m.maxEntries})`, d);
      }
      break;
    case E.ENOTSUPP:
    case E.EOPNOTSUPP:
      return new NotSupportedError(`${operation} on a ${mapTypeName(m.type)} map`, undefined, d);
  }
  return errorFromErrno(errno, operation, what);
}
