import { appName, rendererBuildDir } from '../../app/paths';
import { startBrowserServer } from '../../server/browser-server';
import type { Command } from '../command';
import { number } from '../options';

/** The app itself: its engine, and browser mode. */
export const appCommands: Command[] = [
  {
    name: 'serve',
    summary: 'Run the app in your browser (browser mode); prints the URL to open',
    resumesQueue: true,
    async run({ handlers, out, flags, dataDir }) {
      const server = await startBrowserServer({
        handlers,
        rendererDir: rendererBuildDir(),
        port: number('port', flags.port),
      });
      out.result(
        { url: server.url, dataDir },
        `${appName} is running in browser mode.\nOpen ${server.url}\nData folder: ${dataDir}\nPress Ctrl+C to quit.`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      out.progress('Shutting down…');
      await server.close();
      return 0;
    },
  },
  {
    name: 'engine',
    summary: 'Show the compute engine training uses here (the GPU by name), and why not a faster one',
    async run({ api, out }) {
      const engine = await api.engine.status();
      const why = engine.unavailable.map((u) => `\n  not ${u.name}: ${u.reason}`).join('');
      out.result(engine, `Training uses ${engine.label} (${engine.name}; ${engine.detail}).${why}`);
      return 0;
    },
  },
];
