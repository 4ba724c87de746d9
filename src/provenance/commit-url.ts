/**
 * A revision as a link a person can open: the commit page on GitHub or GitLab when the source is a
 * repository there and the revision is a commit. Sources come in the forms builders write —
 * `https://github.com/org/app`, with `.git`, `git+https://…`, `ssh://git@…`, scp-like
 * `git@github.com:org/app.git`, or no scheme at all — and from untrusted annotations and labels,
 * so the link is rebuilt from the parts checked here, never passed through: no credentials,
 * query, fragment or escaped character of the source reaches it.
 */

/** A git object name: SHA-1 (40) or SHA-256 (64) hex, or an abbreviation of at least 7. */
const COMMIT = /^[0-9a-f]{7,64}$/i;
/** What GitHub and GitLab allow in an owner, group or repository name. */
const PATH_SEGMENT = /^[A-Za-z0-9_.-]+$/;
/** `[user@]host:path`, as git and ssh write a remote without a scheme. */
const SCP_LIKE = /^(?:[A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+):(?!\/\/)(.*)$/;

type Forge = 'github' | 'gitlab';

const FORGES: ReadonlyMap<string, Forge> = new Map([
  ['github.com', 'github'],
  ['www.github.com', 'github'],
  ['gitlab.com', 'gitlab'],
  ['www.gitlab.com', 'gitlab'],
]);

const SCHEMES = new Set(['https:', 'http:', 'ssh:', 'git:']);

interface Repository {
  readonly forge: Forge;
  /** Checked segments: `org/app` on GitHub, `group/subgroup/app` on GitLab. */
  readonly path: string;
}

/** Whether `revision` names a git commit rather than a tag, a branch or a dirty tree. */
export function isCommit(revision: string): boolean {
  return COMMIT.test(revision);
}

/** The commit page of `revision` in `source`, or undefined when either is not one. */
export function commitUrl(source: string | undefined, revision: string): string | undefined {
  if (source === undefined || !isCommit(revision)) return undefined;
  const repository = repositoryOf(source);
  if (repository === undefined) return undefined;
  const commit = revision.toLowerCase();
  return repository.forge === 'github'
    ? `https://github.com/${repository.path}/commit/${commit}`
    : `https://gitlab.com/${repository.path}/-/commit/${commit}`;
}

/** What to print for a revision: its commit page when there is one, else the revision itself. */
export function revisionText(source: string | undefined, revision: string): string {
  return commitUrl(source, revision) ?? revision;
}

function repositoryOf(source: string): Repository | undefined {
  const text = source.trim().replace(/^git\+/i, '');
  const location = hostAndPath(text);
  if (location === undefined) return undefined;
  const forge = FORGES.get(location.host.toLowerCase());
  if (forge === undefined) return undefined;
  const segments = repositorySegments(forge, location.path);
  return segments === undefined ? undefined : { forge, path: segments.join('/') };
}

function hostAndPath(text: string): { host: string; path: string } | undefined {
  const scpLike = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text) ? null : SCP_LIKE.exec(text);
  if (scpLike !== null) {
    return { host: scpLike[1] ?? '', path: (scpLike[2] ?? '').replace(/[?#].*$/s, '') };
  }
  const withScheme = text.includes('://') ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  if (!SCHEMES.has(url.protocol)) return undefined;
  // Another port is another server, except for ssh, which a forge may serve on 443 or 22.
  if (url.port !== '' && url.protocol !== 'ssh:') return undefined;
  return { host: url.hostname, path: url.pathname };
}

/**
 * The repository's segments of a path: GitHub's owner and name (what follows is a page of the
 * repository, `/tree/main`); GitLab's groups and name, up to its `/-/` page separator.
 */
function repositorySegments(forge: Forge, path: string): string[] | undefined {
  const segments = path.split('/').filter((segment) => segment !== '');
  const separator = segments.indexOf('-');
  const kept =
    forge === 'github'
      ? segments.slice(0, 2)
      : separator < 0
        ? segments
        : segments.slice(0, separator);
  const last = kept.length - 1;
  if (last < 1) return undefined;
  kept[last] = (kept[last] ?? '').replace(/\.git$/i, '');
  const valid = kept.every(
    (segment) => PATH_SEGMENT.test(segment) && segment !== '.' && segment !== '..',
  );
  return valid ? kept : undefined;
}
