import { Commands } from '../../src/config/config.js';
import { parseDuration } from '../../src/config/option-value.js';
import { defaultConfig, envName, OPTIONS } from '../../src/config/options.js';

describe('options', () => {
  it('builds its defaults from the same table it documents', () => {
    expect(defaultConfig().cacheTtlMs).toBe(parseDuration('5m'));
  });

  /** The commands that ask registries: each has a registry option, and a deadline of its own. */
  const registryCommands = Commands.filter((command) =>
    OPTIONS.some((spec) => spec.group === 'registries' && spec.commands.includes(command)),
  );

  it('finds the commands that ask registries, and history, which reads the cluster only, not among them', () => {
    expect(registryCommands).toEqual(['serve', 'resolve', 'tags', 'pin', 'audit', 'krm']);
  });

  it.each(registryCommands.map((command) => [command]))(
    'gives %s the resolve deadline its own option defaults to, frozen',
    (command) => {
      const option = OPTIONS.find(
        (spec) => spec.key === 'resolveTimeoutMs' && spec.commands.includes(command),
      );
      const config = defaultConfig(command);

      expect(option?.value.defaultText).toBeDefined();
      expect(config.resolveTimeoutMs).toBe(parseDuration(option!.value.defaultText!));
      expect(Object.isFrozen(config)).toBe(true);
    },
  );

  it.each(Commands.map((command) => [command]))(
    'gives each flag and short name of %s one option only',
    (command) => {
      const ours = OPTIONS.filter((spec) => spec.commands.includes(command));
      const flags = ours.map((spec) => spec.flag);
      const shorts = ours.flatMap((spec) => (spec.short === undefined ? [] : [spec.short]));

      expect(new Set(flags).size).toBe(flags.length);
      expect(new Set(shorts).size).toBe(shorts.length);
    },
  );

  it('names the environment variable after the flag, upper case with underscores', () => {
    expect(envName('cache-ttl')).toBe('DIGEST_PINNER_CACHE_TTL');
    expect(envName('image-credential-provider-bin-dir')).toBe(
      'DIGEST_PINNER_IMAGE_CREDENTIAL_PROVIDER_BIN_DIR',
    );
  });
});
