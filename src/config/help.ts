/**
 * The text of `<command> --help`: each command's usage, description and examples, then its
 * options from the option table, under their headings, with default and environment variable.
 */
import type { Command } from './config.js';
import { envName, OPTIONS, OptionGroups, type AnyOption } from './options.js';

/** What `--help` says about a command besides its options. */
export interface CommandHelp {
  readonly summary: string;
  readonly usage: string;
  readonly description: string;
  readonly examples: readonly (readonly [comment: string, commandLine: string])[];
}

export const COMMAND_HELP: Readonly<Record<Command, CommandHelp>> = {
  audit: {
    summary: 'report what runs in the cluster by digest: unpinned, drifted, moved',
    usage: 'digest-pinner audit [options]',
    description:
      'Report every container of every pod (init and ephemeral too) in a namespace or all of\nthem: its image, whether it is pinned, the digest its node runs, drift between the two,\nthe original tag, whether that tag has moved (--check-tags), and the workload that owns it.',
    examples: [
      ['The current namespace, as a table', 'digest-pinner audit'],
      [
        'Fail a CI job on anything unpinned or drifted, cluster-wide',
        'digest-pinner audit --all-namespaces --fail-on unpinned,drift',
      ],
      [
        'Tags that moved since their pods were pinned, as JSON',
        'digest-pinner audit --namespace team-a --check-tags -o json',
      ],
    ],
  },
  history: {
    summary: 'list the revisions of a workload by digest, tag and commit (KIND/NAME)',
    usage: 'digest-pinner history [options] KIND/NAME',
    description:
      "List the revisions of a Deployment (its ReplicaSets), StatefulSet or DaemonSet (its\nControllerRevisions), oldest first: when each was made, how many pods run it now, and per\ncontainer the image as pinned, the original tag, the digest and the source revision. Each\nrevision says what changed from the one before: what 'kubectl rollout undo --to-revision=N'\nwould bring back.",
    examples: [
      ['A Deployment of the current namespace', 'digest-pinner history deployment/web'],
      ['A StatefulSet of team-a, as JSON', 'digest-pinner history sts/db -n team-a -o json'],
    ],
  },
  tags: {
    summary: 'print the tags that point at a digest (REF@sha256:…)',
    usage: 'digest-pinner tags [options] REF@sha256:…',
    description:
      "List the tags of REF's repository (tags/list, page by page), look each up as resolve does,\nand print those pointing at REF's digest, one per line: what was this digest called?",
    examples: [
      ['What a pinned image was released as', 'digest-pinner tags ghcr.io/org/app@sha256:0123…'],
      ['As JSON', 'digest-pinner tags -o json ghcr.io/org/app:v2@sha256:0123…'],
    ],
  },
  serve: {
    summary: 'run the Kubernetes mutating admission webhook',
    usage: 'digest-pinner serve [options]',
    description:
      'Run the mutating admission webhook. Without a cluster (no kubeconfig, not in a pod) it runs\nstandalone: self-signed TLS, credentials from the local docker config, every namespace pinned.',
    examples: [
      [
        'On this machine, trusting a local plain-http registry',
        'digest-pinner serve --address 127.0.0.1 --insecure-registry localhost:5000',
      ],
      [
        'In a cluster, keeping its own CA and the webhook caBundle in step',
        'digest-pinner serve --tls-secret digest-pinner-tls --webhook-configuration digest-pinner',
      ],
      [
        'Deny pods whose images cannot be pinned, and re-pin on every update',
        'digest-pinner serve --failure-policy fail --update-policy re-resolve',
      ],
    ],
  },
  resolve: {
    summary: 'print images pinned to their digests (IMAGE... or - for stdin)',
    usage: 'digest-pinner resolve [options] IMAGE... | -',
    description:
      "Print each image pinned to the digest its registry serves now, one per line, in the order\ngiven. '-' reads images from stdin, one per line (blank lines and # comments skipped).",
    examples: [
      ['Pin one image', 'digest-pinner resolve nginx:1.27'],
      [
        'The arm64 image of a multi-platform tag, as JSON',
        'digest-pinner resolve --platform linux/arm64 -o json nginx:1.27',
      ],
      [
        'Every image a manifest names',
        "grep -ho 'image: .*' *.yaml | cut -d' ' -f2 | digest-pinner resolve -",
      ],
    ],
  },
  pin: {
    summary:
      'pin the images of Kubernetes manifests, Dockerfiles and Compose files (FILE|DIR|-...)',
    usage: 'digest-pinner pin [options] FILE|DIR|-...',
    description:
      "Pin every image in Kubernetes manifests (YAML or JSON), the FROM lines of Dockerfiles and\nContainerfiles and the services of Compose files (compose.yaml, docker-compose.yml…), each\nknown by its name or --file-type; directories are walked for .yaml, .yml and .json files\nand Dockerfiles; '-' is stdin. Nothing in the files changes but the image values. With\n--update, images pinned as tag@sha256:… whose tag has moved get the digest it points to now\n(each named on stderr; under --check, listed). Exit 1 when an image is not pinned (--check),\nits pin is out of date (--check --update), or it could not be pinned or looked up; 2 on a\nusage or YAML syntax error or when nothing to pin is found among the paths.",
    examples: [
      ['Print a manifest with its images pinned', 'digest-pinner pin deploy/web.yaml'],
      ['Pin every manifest below deploy/ in place', 'digest-pinner pin --write deploy/'],
      ['Fail CI when an image is not pinned', 'digest-pinner pin --check deploy/'],
      ['Move pins whose tags have moved, in place', 'digest-pinner pin --update --write deploy/'],
      ['Pin the FROM lines of a Dockerfile in place', 'digest-pinner pin --write Dockerfile'],
    ],
  },
  krm: {
    summary: 'a KRM function: pin the images of a ResourceList on stdin',
    usage: 'digest-pinner krm [options] < RESOURCE_LIST',
    description:
      'A KRM function (kustomize exec transformers, kpt fn eval --exec): read a ResourceList on\nstdin and write it back with every image pinned. functionConfig data may set\ninsecureRegistries, registryCas, dockerConfig, noTag, platform, resolveTimeout, skipImages\nand podTemplates; flags win over it. Images that cannot be pinned become error results,\nand the exit code is then 1.',
    examples: [
      [
        'With kpt, on a directory of manifests',
        'kpt fn eval deploy/ --exec "digest-pinner krm" -- insecureRegistries=localhost:5000',
      ],
    ],
  },
};

export function helpText(command: Command): string {
  const { usage, description, examples } = COMMAND_HELP[command];
  const specs = OPTIONS.filter((option) => option.commands.includes(command));
  const sections = Object.entries(OptionGroups).flatMap(([group, title]) => {
    const inGroup = specs.filter((spec) => spec.group === group);
    return inGroup.length === 0 ? [] : [`${title}:\n${inGroup.map(optionHelp).join('\n')}`];
  });
  const other = 'Other:\n  -h, --help\n      print this help';
  const exampleLines = examples.map(([comment, line]) => `  # ${comment}\n  ${line}`);
  return [
    `Usage: ${usage}`,
    description,
    ...sections,
    other,
    `Examples:\n${exampleLines.join('\n\n')}`,
    'Every option can also be set as the environment variable shown (flags win).',
  ]
    .join('\n\n')
    .concat('\n');
}

function optionHelp(spec: AnyOption): string {
  const names = spec.short === undefined ? `--${spec.flag}` : `-${spec.short}, --${spec.flag}`;
  const value = spec.value.placeholder === '' ? '' : ` ${spec.value.placeholder}`;
  const defaultText = spec.value.kind === 'switch' ? undefined : spec.value.defaultText;
  const defaultNote = defaultText === undefined ? '' : ` (default ${defaultText})`;
  return `  ${names}${value}\n      ${spec.help}${defaultNote}\n      env ${envName(spec.flag)}`;
}
