import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LabLinkState } from '../../../src-renderer/state/lab-link.svelte';
import { presetConfig } from '../../../src-main/models/presets';
import { hubAddressFile, tokenFile } from '../../../src-main/lab/hub-token';
import type { Services } from '../../../src-main/host/services';
import { openRendererApi } from '../../helpers/renderer-api';
import { freePort } from '../../helpers/postgres';
import { useTempDirs } from '../../helpers/temp-dir';

/** The Sweeps tab's view of a lab hub, against the real handlers (the lab test file covers a running hub). */
describe('LabLinkState', () => {
  const tempDir = useTempDirs();
  let services: Services | undefined;
  afterEach(async () => {
    await services?.close();
  });

  it('sees no hub on a data folder where none was started, and sends it no sweep', async () => {
    const opened = openRendererApi(tempDir());
    services = opened.services;
    const lab = new LabLinkState(opened.api);
    await lab.refresh();
    expect(lab.link).toEqual({ hub: null, status: null, problem: null });
    const sweep = await opened.api.lab.sweep({
      datasetId: 1,
      config: presetConfig('small-dense', [28, 28, 1])!,
      axes: [{ param: 'seed', values: [1, 2] }],
    });
    expect(sweep).toEqual({
      ok: false,
      error: { code: 'unsupported', message: 'No lab hub serves this data folder: start one with ae-studio hub.' },
    });
  });

  it('says why when the hub of the data folder is not answering', async () => {
    const dataDir = tempDir();
    const url = `http://127.0.0.1:${await freePort()}`;
    mkdirSync(join(dataDir, 'lab'));
    writeFileSync(hubAddressFile(dataDir), `${url}\n`);
    writeFileSync(tokenFile(dataDir), 'token\n');
    const opened = openRendererApi(dataDir);
    services = opened.services;
    const lab = new LabLinkState(opened.api);
    await lab.refresh();
    expect(lab.link.hub).toBe(url);
    expect(lab.link.status).toBeNull();
    expect(lab.link.problem).toMatch(
      /^The lab hub is not answering: the hub at http:\/\/127\.0\.0\.1:\d+ cannot be reached/,
    );
  });
});
