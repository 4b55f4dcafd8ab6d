#!/usr/bin/env node
// Command-line entry: the same services and API as the app, under plain Node, from the built bundles (out/main/cli.js
// and the worker it starts), the code the desktop app runs. They are rebuilt first when the sources changed.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    `Autoencoder Studio needs Node.js 22.12 or newer (this is ${process.versions.node}). ` +
      'Run it through npm ("npm run serve", "npx ae-studio"), which uses the Node 22 installed with the project.',
  );
  process.exit(1);
}
const { ensureBuilt } = await import('../scripts/ensure-built.mjs');
ensureBuilt();
const { main } = await import('../out/main/cli.js');
process.exitCode = await main(process.argv.slice(2));
