/**
 * Reads a Dockerfile into its build stages, as BuildKit does for what the tests need: lines joined
 * at a trailing backslash, comment lines dropped (also inside a continued instruction), global ARG
 * defaults substituted into FROM.
 */

export interface Instruction {
  /** Upper case: FROM, RUN, COPY… */
  readonly keyword: string;
  readonly arguments: string;
}

export interface Stage {
  /** The image after ARG substitution: `node:20.20.2-bookworm-slim`, `scratch`, or a stage name. */
  readonly base: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const globalArguments = new Map<string, string>();
  const stages: { base: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const instruction of instructionsOf(text)) {
    const current = stages.at(-1);
    if (instruction.keyword === 'FROM') {
      const words = instruction.arguments.split(/\s+/).filter((word) => !word.startsWith('--'));
      const base = words[0]!.replace(
        /\$\{(\w+)\}|\$(\w+)/g,
        (_match, braced?: string, bare?: string) => globalArguments.get(braced ?? bare ?? '') ?? '',
      );
      const name = words[1]?.toUpperCase() === 'AS' ? words[2] : undefined;
      stages.push({ base, name, instructions: [] });
    } else if (current === undefined && instruction.keyword === 'ARG') {
      const [key, value] = instruction.arguments.split('=', 2);
      if (value !== undefined) globalArguments.set(key!.trim(), value.trim());
    } else if (current !== undefined) {
      current.instructions.push(instruction);
    }
  }
  return stages;
}

function instructionsOf(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    const continued = /\\\s*$/.test(line);
    pending += ' ' + line.replace(/\\\s*$/, '');
    if (continued) continue;
    const joined = pending.trim();
    pending = '';
    if (joined === '') continue;
    const [keyword, ...rest] = joined.split(/\s+/);
    instructions.push({ keyword: keyword!.toUpperCase(), arguments: rest.join(' ') });
  }
  return instructions;
}

export function argumentsOf(stage: Stage, keyword: string): string[] {
  return stage.instructions
    .filter((instruction) => instruction.keyword === keyword)
    .map((instruction) => instruction.arguments);
}

/** The JSON array of an exec-form ENTRYPOINT or CMD; throws on the shell form. */
export function execForm(stage: Stage, keyword: 'ENTRYPOINT' | 'CMD'): string[] {
  const [text] = argumentsOf(stage, keyword).slice(-1);
  if (text === undefined) throw new Error(`no ${keyword}`);
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new Error(`${keyword} is not in exec form (a JSON array of strings): ${text}`);
  }
  return parsed;
}

/**
 * Whether .dockerignore keeps a path out of the build context: the last pattern that matches
 * decides, `!` lets a path back in, a pattern matches the path itself and everything under it.
 */
export function isIgnored(dockerignore: string, path: string): boolean {
  let ignored = false;
  for (const line of dockerignore.split('\n')) {
    const pattern = line.trim();
    if (pattern === '' || pattern.startsWith('#')) continue;
    const negated = pattern.startsWith('!');
    const body = (negated ? pattern.slice(1) : pattern).replace(/^\/|\/$/g, '');
    if (globMatches(body, path)) ignored = !negated;
  }
  return ignored;
}

function globMatches(pattern: string, path: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${source}(/.*)?$`).test(path);
}
