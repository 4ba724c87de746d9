/**
 * What a command may use of the process it runs in. main.ts fills it from `process`; tests fill
 * it with their own values, so no command reads the process itself.
 */
import { join } from 'node:path';

export interface OutputStream {
  write(text: string): unknown;
}

export interface Environment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string | undefined;
  /** Read only by commands given `-` for it. */
  readonly stdin: AsyncIterable<string | Uint8Array>;
  readonly stdout: OutputStream;
  /**
   * The file descriptor behind stdout, when there is one: the server's log writes to it
   * asynchronously rather than through the stream, which writes a file synchronously.
   */
  readonly stdoutFd?: number;
  readonly stderr: OutputStream;
  readonly fileExists: (path: string) => boolean;
  /** Where files the user should see (the self-signed CA) may be written. */
  readonly tempDir: string;
  /** Aborted on SIGTERM or SIGINT. */
  readonly shutdown: AbortSignal;
  /**
   * Where the process's warnings (a listener leak, a deprecation) go instead of stderr, which
   * would mix text into a JSON log. Without a listener they are dropped.
   */
  readonly onProcessWarning?: (listener: (warning: Error) => void) => void;
  /**
   * Told of an error nothing caught, just before the process ends with it; the process's own
   * report (a stack trace on stderr) is then left out.
   */
  readonly onUncaughtError?: (listener: (error: unknown) => void) => void;
}

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, as the docker CLI looks. */
export function defaultDockerConfigPath(environment: Environment): string | undefined {
  const dockerConfigDir = environment.env.DOCKER_CONFIG;
  if (dockerConfigDir !== undefined && dockerConfigDir !== '') {
    return join(dockerConfigDir, 'config.json');
  }
  return environment.homeDir === undefined
    ? undefined
    : join(environment.homeDir, '.docker', 'config.json');
}

/** All of a stream (stdin, say) as UTF-8 text. */
export async function readAllText(input: AsyncIterable<string | Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
