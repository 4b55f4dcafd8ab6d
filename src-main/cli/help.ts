import type { Command } from './command';

/** The help text, made from the command table so every command is listed with its own options. */
export function usageText(commands: readonly Command[]): string {
  const lines = commands.flatMap((c) => {
    const head = c.args ? `${c.name} ${c.args}` : c.name;
    return [`  ${head.padEnd(21)} ${c.summary}`, ...(c.details ?? []).map((d) => `${' '.repeat(26)}${d}`)];
  });
  return `Usage: ae-studio <command> [options]

Commands:
${lines.join('\n')}
  help                  Show this help

Options:
  --data-dir <folder>   Where the experiment store lives (default: $AE_STUDIO_DATA_DIR or the app-data folder)
  --json                Print exactly one JSON document (errors too) instead of text
  --port <n>            serve: the port to listen on (default: a free one)
`;
}
