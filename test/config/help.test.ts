import { Commands } from '../../src/config/config.js';
import { COMMAND_HELP, helpText } from '../../src/config/help.js';
import { envName, OPTIONS } from '../../src/config/options.js';

/** The long flags an option line of the help names, `-o, --output FORMAT` giving `output`. */
function listedFlags(help: string): string[] {
  return [...help.matchAll(/^ {2}(?:-[a-z], )?--([a-z-]+)/gm)].map(([, flag]) => flag!);
}

describe('help', () => {
  it('lists every serve option with its default and variable in the help', () => {
    const help = helpText('serve');

    for (const option of OPTIONS.filter((spec) => spec.commands.includes('serve'))) {
      expect(help).toContain(`--${option.flag}`);
      expect(help).toContain(envName(option.flag));
    }
    expect(help).toContain('(default 5m)');
  });

  it.each(Commands.map((command) => [command]))(
    'lists the options of %s and --help, and no option of another command',
    (command) => {
      const ours = OPTIONS.filter((spec) => spec.commands.includes(command));

      expect(listedFlags(helpText(command)).sort()).toEqual(
        [...ours.map((spec) => spec.flag), 'help'].sort(),
      );
    },
  );

  it.each(Commands.map((command) => [command]))(
    'opens the help of %s with its usage and shows its examples',
    (command) => {
      const { usage, examples } = COMMAND_HELP[command];
      const help = helpText(command);

      expect(help.startsWith(`Usage: ${usage}\n`)).toBe(true);
      for (const [comment, commandLine] of examples) {
        expect(help).toContain(`  # ${comment}\n  ${commandLine}`);
      }
    },
  );
});
