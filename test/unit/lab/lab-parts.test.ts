import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { slurmScript } from '../../../src-main/lab/slurm-script';
import { HubClient } from '../../../src-main/lab/hub-client';
import { redact } from '../../../src-main/lab/lab-queue';
import { runCli } from '../../helpers/cli-process';
import { freePort } from '../../helpers/postgres';

describe('lab parts that need no hub', () => {
  it('writes an sbatch job array whose tasks are one-job workers, and bash reads it', () => {
    const script = slurmScript({
      hub: 'http://hub:7878',
      token: "to'ken",
      tasks: 20,
      partition: 'gpu',
      time: '04:00:00',
      gpus: 2,
    });
    expect(script).toMatch(/^#!\/bin\/bash\n/);
    expect(script).toContain('#SBATCH --array=1-20\n');
    expect(script).toContain('#SBATCH --partition=gpu\n');
    expect(script).toContain('#SBATCH --time=04:00:00\n');
    expect(script).toContain('#SBATCH --gres=gpu:2\n');
    expect(script).toContain(`exec ae-studio worker --hub 'http://hub:7878' --token 'to'\\''ken' --once --gpus 0,1\n`);
    // Syntax only (-n): a quote in the token must not break the script.
    const dir = mkdtempSync(join(tmpdir(), 'ae-studio-slurm-'));
    try {
      writeFileSync(join(dir, 'workers.sbatch'), script);
      execFileSync('bash', ['-n', join(dir, 'workers.sbatch')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const cpu = slurmScript({ hub: 'http://hub:7878', token: 't', tasks: 1, gpus: 0 });
    expect(cpu).not.toContain('--gres');
    expect(cpu).toMatch(/--once\n$/);
  });

  it('refuses bad Slurm options, hub addresses and a missing token in words', async () => {
    expect(() => slurmScript({ hub: 'h', token: 't', tasks: 0, gpus: 0 })).toThrow(/--tasks must be a whole number/);
    expect(() => slurmScript({ hub: 'h', token: 't', tasks: 2, time: 'soon', gpus: 0 })).toThrow(/Slurm time/);
    expect(() => slurmScript({ hub: 'h', token: 't', tasks: 2, partition: 'a b', gpus: 0 })).toThrow(/partition name/);
    expect(() => new HubClient({ url: 'hub:7878', token: 't' })).toThrow(/http:\/\/ or https:\/\//);
    expect(() => new HubClient({ url: 'not a url', token: 't' })).toThrow(/like http:\/\/lab-server:7878/);
    expect(() => new HubClient({ url: 'http://hub:7878', token: '' })).toThrow(/--token is needed/);
    const jobs = await runCli(['jobs']);
    expect(jobs).toMatchObject({ code: 2, stderr: 'Error: jobs talks to a lab hub: give --hub URL --token T.\n' });
    const port = await freePort();
    const unreachable = await runCli(['jobs', '--hub', `http://127.0.0.1:${port}`, '--token', 't']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      /^Error: The lab hub is not answering: the hub at http:\/\/127\.0\.0\.1:\d+ cannot be reached \(ECONNREFUSED\)/,
    );
    const hubWithoutDb = await runCli(['hub', '--data-dir', mkdtempSync(join(tmpdir(), 'ae-studio-hub-'))]);
    expect(hubWithoutDb.stderr).toMatch(/hub needs --db postgres:/);
  });

  it('hides the password of a connection string in messages', () => {
    expect(redact('postgres://lab:s3cret@db:5432/lab')).toBe('postgres://lab:***@db:5432/lab');
    expect(redact('postgres://lab@db/lab')).toBe('postgres://lab@db/lab');
  });
});
