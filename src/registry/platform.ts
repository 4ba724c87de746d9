/**
 * Platforms (`linux/arm64/v8`) and how an index entry is matched against one, the way
 * containerd normalizes them: `arm64` means `arm64/v8` and `arm` means `arm/v7` when no variant
 * is given; any other architecture matches whatever variant when none is asked for.
 */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

const DEFAULT_VARIANTS: Readonly<Record<string, string>> = { arm64: 'v8', arm: 'v7' };
const PLATFORM_PART = /^[a-z0-9_.-]+$/;

/**
 * Parses `os/architecture[/variant]`, e.g. from a `--platform` flag, lowercased as containerd
 * does. Throws an Error whose message says why, for the caller to attribute.
 */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  const [os, architecture, variant, ...rest] = parts;
  const wellFormed =
    os !== undefined &&
    architecture !== undefined &&
    rest.length === 0 &&
    parts.every((part) => PLATFORM_PART.test(part));
  if (!wellFormed) {
    throw new Error(`"${text}" is not OS/ARCH or OS/ARCH/VARIANT (like linux/arm64)`);
  }
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** `linux/arm64/v8` */
export function formatPlatform(platform: Platform): string {
  const variant = platform.variant === undefined ? '' : `/${platform.variant}`;
  return `${platform.os}/${platform.architecture}${variant}`;
}

function effectiveVariant(platform: Platform): string | undefined {
  return platform.variant ?? DEFAULT_VARIANTS[platform.architecture];
}

/** Whether an index entry's platform satisfies the wanted one. */
export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  if (wanted.os !== candidate.os || wanted.architecture !== candidate.architecture) return false;
  const variant = effectiveVariant(wanted);
  return variant === undefined || variant === effectiveVariant(candidate);
}
