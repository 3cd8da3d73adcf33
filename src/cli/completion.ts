// `tsbpf completion bash`: a bash completion script made from the command
// table (objects, verbs, the keywords each verb's synopsis names, and file
// names where a synopsis asks for OBJ, FILE, PATH …), so it cannot drift
// from what the CLI accepts. Install: `tsbpf completion bash > /etc/bash_completion.d/tsbpf`.
import { UsageError } from "./args.js";
import type { Command, ObjectCommands } from "./command.js";
import type { Output } from "./output.js";
import { GLOBAL_OPTIONS, OBJECTS, TOP_LEVEL_WORDS, loadAllObjects } from "./table.js";


/** Synopsis placeholders that are paths: the word after them completes as a file name. */
const FILE_PLACEHOLDERS = /^(OBJ|OBJECT|FILE|PATH|DIR|INPUT|OUTPUT|CGROUP|CGROUP_ROOT|LINK_DIR|SRC\.bpf\.c|BTF_SRC)$/;

/** A keyword the user types as is: `xlated`, `pinned`, `--btf`, `-o`. */
const KEYWORD = /^-{0,2}[a-z][a-z0-9_]*$/;

/**
 * The keywords of each placeholder an object's grammar defines with a
 * choice: `PROG := { id PROG_ID | pinned FILE | … }` → PROG: id, pinned, ….
 */
export function grammarKeywords(obj: ObjectCommands): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const text = obj.grammar;
  for (const m of text.matchAll(/^(\w+)\s*:=\s*([[{])/gm)) {
    // The choice runs to its matching bracket, possibly over several lines.
    let depth = 0;
    let end = m.index + m[0].length - 1;
    for (; end < text.length; end++) {
      const c = text[end];
      if (c === "{" || c === "[") depth++;
      else if ((c === "}" || c === "]") && --depth === 0) break;
    }
    const words = text.slice(m.index + m[0].length, end).split(/[\s[\]{}|,]+/).filter((w) => KEYWORD.test(w));
    out.set(m[1]!, words);
  }
  return out;
}

/** The words of a synopsis: `{ show | list } [PROG]` → show, list, PROG. */
function synopsisWords(cmd: Command): string[] {
  return cmd.synopsis.split(/[\s[\]{}|]+/).filter((w) => w.length > 0);
}

/**
 * What may follow a verb: the keywords its synopsis names (not the verb and
 * its aliases) and those of the placeholders it uses, from the grammar.
 */
export function verbKeywords(obj: ObjectCommands, cmd: Command): string[] {
  const verbs = new Set(obj.commands.map((c) => c.name));
  const grammar = grammarKeywords(obj);
  const words = synopsisWords(cmd);
  const keywords: string[] = [];
  const first = words.findIndex((x) => !verbs.has(x));
  for (const w of first < 0 ? [] : words.slice(first)) {
    if (KEYWORD.test(w)) keywords.push(w);
    else keywords.push(...(grammar.get(w.replace(/\.\.\.$/, "")) ?? []));
  }
  return [...new Set(keywords)];
}

/** True when the synopsis takes a path somewhere (OBJ, FILE, PATH …): complete file names too. */
export function synopsisTakesFiles(obj: ObjectCommands, cmd: Command): boolean {
  const grammar = obj.grammar;
  return synopsisWords(cmd).some((w) => {
    const name = w.replace(/\.\.\.$/, "");
    // A placeholder whose grammar choice includes FILE (BTF_SRC := { … | file FILE }, PROG := { … pinned FILE … }).
    return FILE_PLACEHOLDERS.test(name) || new RegExp(`^${name}\\s*:=[^\\n]*\\bFILE\\b`, "m").test(grammar);
  });
}

function quoteList(words: readonly string[]): string {
  return words.join(" ");
}

/** The bash completion script for the given objects. */
export function bashCompletion(objects: readonly ObjectCommands[]): string {
  const lines = [
    "# bash completion for tsbpf, generated from its command table: tsbpf completion bash",
    "_tsbpf() {",
    "    local cur=${COMP_WORDS[COMP_CWORD]}",
    "    local words=() w i",
    "    for ((i = 1; i < COMP_CWORD; i++)); do",
    "        w=${COMP_WORDS[i]}",
    "        [[ $w == -* ]] || words+=(\"$w\")",
    "    done",
    "    if [[ $cur == -* ]]; then",
    `        COMPREPLY=($(compgen -W "${quoteList(GLOBAL_OPTIONS.flatMap((o) => [o.short, o.long]))}" -- "$cur"))`,
    "        return",
    "    fi",
    "    if ((${#words[@]} == 0)); then",
    `        COMPREPLY=($(compgen -W "${quoteList([...OBJECTS.map((o) => o.name), ...TOP_LEVEL_WORDS])}" -- "$cur"))`,
    "        return",
    "    fi",
    "    local object=${words[0]} verb=${words[1]}",
    "    case $object in",
    "    completion) COMPREPLY=($(compgen -W \"bash\" -- \"$cur\")); return ;;",
  ];
  for (const obj of objects) {
    lines.push(`    ${obj.name})`);
    lines.push("        if ((${#words[@]} == 1)); then");
    lines.push(`            COMPREPLY=($(compgen -W "${quoteList([...obj.commands.map((c) => c.name), "help"])}" -- "$cur"))`);
    lines.push("            return");
    lines.push("        fi");
    lines.push("        case $verb in");
    for (const cmd of obj.commands) {
      const keywords = verbKeywords(obj, cmd);
      const files = synopsisTakesFiles(obj, cmd);
      const parts: string[] = [];
      if (keywords.length) parts.push(`compgen -W "${quoteList([...keywords, "help"])}" -- "$cur"`);
      if (files) parts.push('compgen -f -- "$cur"');
      if (!parts.length) continue;
      lines.push(`        ${cmd.name}) COMPREPLY=($(${parts.join("; ")})) ;;`);
    }
    lines.push("        esac");
    lines.push("        ;;");
  }
  lines.push("    esac", "}", "complete -o filenames -F _tsbpf tsbpf", "");
  return lines.join("\n");
}

/** Runs `tsbpf completion SHELL`. */
export async function completionCommand(words: readonly string[], out: Output): Promise<number> {
  const [shell, ...rest] = words;
  if (shell !== "bash" || rest.length) throw new UsageError(shell === undefined ? "missing SHELL (bash)" : `unsupported shell '${[shell, ...rest].join(" ")}' (tsbpf completes bash)`);
  out.text(bashCompletion(await loadAllObjects()));
  return 0;
}
