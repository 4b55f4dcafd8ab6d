import { parseArgs } from 'node:util';
import { UserError } from '../api/errors';
import { resolveDataDir } from '../app/paths';
import type { Command, Output } from './command';
import { appCommands } from './commands/app';
import { datasetCommands } from './commands/datasets';
import { experimentCommands } from './commands/experiments';
import { latentCommands } from './commands/latent';
import { resultCommands } from './commands/results';
import { trainingCommands } from './commands/training';
import { usageText } from './help';
import { options } from './options';
import { withSession } from './session';
import { HubClient } from '../lab/hub-client';
import { labCommands } from './commands/lab';

/** Every command, in the order the help lists them. */
const commands: readonly Command[] = [
  ...appCommands,
  ...datasetCommands,
  ...trainingCommands,
  ...latentCommands,
  ...resultCommands,
  ...experimentCommands,
  ...labCommands,
];

export const usage = usageText(commands);

// eslint-disable-next-line no-control-regex -- control characters are exactly what it finds
const controlCharacters = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text for a terminal, with control characters shown as \x1b and the like: a run or dataset name from a crafted
 * export could otherwise move the cursor, recolour or retitle the user's terminal. Newlines and tabs stay.
 */
export function printable(text: string): string {
  return text.replace(controlCharacters, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function makeOutput(json: boolean): Output {
  return {
    json,
    // JSON escapes control characters itself.
    result: (value, text) =>
      process.stdout.write(json ? `${JSON.stringify({ ok: true, value }, null, 2)}\n` : `${printable(text)}\n`),
    // Progress goes to stderr so stdout stays one parseable document with --json.
    progress: (text) => process.stderr.write(`${printable(text)}\n`),
  };
}

/** Runs the CLI; returns the process exit code (0 ok, 1 failed, 2 bad usage). */
export async function main(argv: string[]): Promise<number> {
  let json = argv.includes('--json');
  try {
    // export-csv's --latent is a switch, while train's --latent takes a size.
    const args = argv.includes('export-csv') ? argv.map((a) => (a === '--latent' ? '--latent-columns' : a)) : argv;
    const { values: flags, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    json = flags.json;
    const out = makeOutput(json);
    const [name = 'help', ...rest] = positionals;
    if (name === 'help' || flags.help) {
      out.result({ usage }, usage);
      return 0;
    }
    const command = commands.find((c) => c.name === name);
    if (!command)
      throw new UserError('invalid_argument', `Unknown command "${name}". Run "ae-studio help" for the list.`);
    if (command.onHub && (command.hubOnly || flags.hub !== undefined)) {
      if (flags.hub === undefined) {
        throw new UserError('invalid_argument', `${name} talks to a lab hub: give --hub URL --token T.`);
      }
      const hub = new HubClient({ url: flags.hub, token: flags.token ?? '' });
      return await command.onHub({ hub, out, flags, positionals: rest });
    }
    const dataDir = flags['data-dir'] ?? command.defaultDataDir?.(resolveDataDir());
    return await withSession({ dataDir, resumeQueue: command.resumesQueue ?? false }, (session) =>
      command.run!({ ...session, out, flags, positionals: rest }),
    );
  } catch (err) {
    const isUsage = (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const error =
      err instanceof UserError
        ? { code: err.code, message: err.message }
        : { code: isUsage ? 'invalid_argument' : 'internal', message: (err as Error).message };
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, error }, null, 2)}\n`);
    else process.stderr.write(`Error: ${printable(error.message)}\n`);
    return isUsage || error.code === 'invalid_argument' ? 2 : 1;
  }
}
