import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { create } from 'tar';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli-process';
import { startHubProcess, startWorkerProcess, stopProcess, type CliProcess } from '../../helpers/lab';
import { freePort, startPostgres, type TestPostgres } from '../../helpers/postgres';
import { dataLayout } from '../../../src-main/app/paths';
import { HubClient } from '../../../src-main/lab/hub-client';
import { appVersion, labApiBase, type LabJob, type LabStatus } from '../../../src-main/lab/lab-protocol';

/**
 * A lab on one machine, all real parts: PostgreSQL (initdb + pg_ctl into a temporary folder, loopback only), the hub
 * and its workers as `ae-studio` processes, each worker with its own store, training the tiny dense model on the
 * bundled Fashion-MNIST sample. Waits are bounded; a worker unheard for 10 s loses its job.
 */
describe('lab hub and workers on pg-boss', () => {
  let pg: TestPostgres;
  const root = mkdtempSync(join(tmpdir(), 'ae-studio-lab-'));
  const hubDir = join(root, 'hub');
  let url = '';
  let token = '';
  let hub: CliProcess & { token: string };
  let client: HubClient;
  const workers: CliProcess[] = [];
  let port = 0;

  async function startHub(): Promise<void> {
    hub = await startHubProcess(hubDir, pg.url, port);
    token = hub.token;
  }

  const stopHub = () => stopProcess(hub, 'SIGTERM');

  function startWorker(name: string) {
    const worker = startWorkerProcess(url, token, join(root, name));
    workers.push(worker);
    return worker;
  }

  const status = () => client.get<LabStatus>('/status');

  async function waitForStatus<T>(probe: (s: LabStatus) => T | undefined, timeoutMs: number, what: string) {
    const deadline = Date.now() + timeoutMs;
    let last: LabStatus | undefined;
    while (Date.now() < deadline) {
      last = await status().catch(() => last);
      const value = last && probe(last);
      if (value !== undefined && value !== false) return value;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(last?.jobs)}`);
  }

  async function sweep(...args: string[]): Promise<number[]> {
    const result = await runCli([
      'sweep',
      '--hub',
      url,
      '--token',
      token,
      '--dataset',
      'Fashion-MNIST sample',
      '--preset',
      'small-dense',
      '--batch',
      '512',
      '--keep-last',
      '1',
      '--json',
      ...args,
    ]);
    expect(result.stderr).toBe('');
    const sweep = (JSON.parse(result.stdout) as { value: { runs: Array<{ runId: number }> } }).value;
    return sweep.runs.map((r) => r.runId);
  }

  const jobsOf = (s: LabStatus, ids: number[]) => s.jobs.filter((j) => ids.includes(j.runId));
  const allCompleted = (ids: number[]) => (s: LabStatus) =>
    jobsOf(s, ids).length === ids.length && jobsOf(s, ids).every((j) => j.state === 'completed');

  function store<T>(read: (db: Database.Database) => T): T {
    const db = new Database(dataLayout(hubDir).database, { readonly: true });
    try {
      return read(db);
    } finally {
      db.close();
    }
  }

  /** Each run's row count, epoch metrics and checkpoints in the hub's store. */
  const storedRuns = (ids: number[]) =>
    store((db) =>
      ids.map((id) => ({
        rows: (db.prepare('SELECT count(*) AS n FROM runs WHERE id = ?').get(id) as { n: number }).n,
        status: (db.prepare('SELECT status FROM runs WHERE id = ?').get(id) as { status: string }).status,
        home: (db.prepare('SELECT lab_imported_at AS at FROM runs WHERE id = ?').get(id) as { at: string | null }).at,
        epochs: (
          db.prepare("SELECT count(*) AS n FROM metrics WHERE run_id = ? AND scope = 'epoch'").get(id) as { n: number }
        ).n,
        checkpoints: db.prepare('SELECT path FROM checkpoints WHERE run_id = ?').all(id) as Array<{ path: string }>,
        worker: JSON.parse(
          (db.prepare('SELECT worker FROM runs WHERE id = ?').get(id) as { worker: string | null }).worker ?? 'null',
        ) as { id: string } | null,
      })),
    );

  beforeAll(async () => {
    pg = await startPostgres();
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    await startHub();
    client = new HubClient({ url, token });
  }, 120_000);

  // Each test starts the workers it needs; none carries over to take the next test's jobs.
  afterEach(async () => {
    for (const worker of workers.splice(0)) await stopProcess(worker, 'SIGTERM');
  }, 60_000);

  afterAll(async () => {
    for (const worker of workers)
      if (worker.child.exitCode === null) await stopProcess(worker, 'SIGKILL').catch(() => {});
    if (hub?.child.exitCode === null) await stopHub().catch(() => {});
    pg?.dispose();
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('trains a 6-run sweep on three workers, each run stored once with its metrics and checkpoints', async () => {
    const ids = await sweep('--epochs', '1', '--vary', 'latent=2,4,8', '--vary', 'seed=1,2');
    expect(ids).toHaveLength(6);
    ['w1', 'w2', 'w3'].forEach(startWorker);
    await waitForStatus(allCompleted(ids), 180_000, 'the sweep to finish');
    const runs = storedRuns(ids);
    for (const run of runs) {
      expect(run).toMatchObject({ rows: 1, status: 'completed', epochs: 1 });
      expect(run.home).not.toBeNull();
      expect(run.checkpoints.length).toBeGreaterThan(0);
      for (const c of run.checkpoints) expect(existsSync(join(hubDir, c.path, 'model.json'))).toBe(true);
    }
    expect(new Set(runs.map((r) => r.worker?.id)).size).toBeGreaterThanOrEqual(2);
    const jobs = await runCli(['jobs', '--hub', url, '--token', token]);
    expect(jobs.stdout).toMatch(/Workers \(3\):/);
    expect(jobs.stdout).toMatch(/: \d completed/);
    // `run N --json` names the worker that trained it.
    const run = await runCli(['run', String(ids[0]), '--json', '--data-dir', hubDir]);
    expect(JSON.stringify(JSON.parse(run.stdout))).toContain(`"worker":{"id":"${runs[0].worker!.id}"`);
  }, 240_000);

  it('retries the job of a worker killed mid-run on another worker: exactly one run', async () => {
    const ids = await sweep('--epochs', '6', '--vary', 'seed=1,2');
    const first = startWorker('w4');
    const taken = await waitForStatus(
      (s) => jobsOf(s, ids).find((j) => j.state === 'active' && j.epochsDone >= 1),
      90_000,
      'a job under way',
    );
    await stopProcess(first, 'SIGKILL');
    startWorker('w5');
    await waitForStatus(allCompleted(ids), 150_000, 'the retried job');
    const final = await status();
    const retried = jobsOf(final, ids).find((j) => j.runId === taken.runId)!;
    expect(retried.retryCount).toBeGreaterThanOrEqual(1);
    expect(retried.worker!.id).not.toBe(taken.worker!.id);
    for (const run of storedRuns(ids)) expect(run).toMatchObject({ rows: 1, status: 'completed', epochs: 6 });
  }, 300_000);

  it('cancels a training run: its worker stops within an epoch and the job is not retried', async () => {
    // Small batches: an epoch takes longer than a heartbeat, so "within an epoch" means something.
    const ids = await sweep('--epochs', '40', '--vary', 'seed=1,2', '--batch', '8');
    startWorker('w6');
    const training = await waitForStatus(
      (s) => jobsOf(s, ids).find((j) => j.state === 'active' && j.epochsDone >= 1),
      90_000,
      'a run training',
    );
    const cancel = await runCli(['cancel', '--hub', url, '--token', token, String(training.runId)]);
    expect(cancel.stdout).toMatch(
      new RegExp(`Run ${training.runId} is cancelled; its worker stops it between batches`),
    );
    const atCancel = (await status()).jobs.find((j) => j.runId === training.runId)!.epochsDone;
    await waitForStatus(
      (s) => s.jobs.find((j) => j.runId === training.runId && j.runStatus === 'stopped'),
      60_000,
      'the cancelled run to come home stopped',
    );
    const [stopped] = storedRuns([training.runId]);
    expect(stopped.rows).toBe(1);
    expect(stopped.epochs).toBeLessThanOrEqual(atCancel + 1);
    const other = ids.find((id) => id !== training.runId)!;
    await runCli(['cancel', '--hub', url, '--token', token, String(other)]);
    // Past the heartbeat timeout: still cancelled, never handed out again.
    await new Promise((resolve) => setTimeout(resolve, 13_000));
    const after = (await status()).jobs.find((j) => j.runId === training.runId)!;
    expect(after).toMatchObject({ state: 'cancelled', runStatus: 'stopped', retryCount: 0 });
  }, 240_000);

  it('settles a cancelled run whose worker died before bringing it home as stopped', async () => {
    const ids = await sweep('--epochs', '40', '--vary', 'seed=3,4', '--batch', '8');
    const worker = startWorker('w11');
    const training = await waitForStatus(
      (s) => jobsOf(s, ids).find((j) => j.state === 'active' && j.epochsDone >= 1),
      90_000,
      'a run training',
    );
    await stopProcess(worker, 'SIGKILL');
    await runCli(['cancel', '--hub', url, '--token', token, String(training.runId)]);
    await runCli(['cancel', '--hub', url, '--token', token, String(ids.find((id) => id !== training.runId))]);
    // No upload comes: once the worker has been quiet for two heartbeat periods, the hub settles the run.
    const settled = await waitForStatus(
      (s) => s.jobs.find((j) => j.runId === training.runId && j.runStatus === 'stopped'),
      60_000,
      'the orphaned cancelled run to be settled',
    );
    expect(settled).toMatchObject({ state: 'cancelled', retryCount: 0 });
    expect(storedRuns([training.runId])[0]).toMatchObject({ rows: 1, status: 'stopped', home: null });
  }, 180_000);

  it('stores a run once when its worker uploaded it and died before completing the job', async () => {
    const ids = await sweep('--epochs', '1', '--vary', 'seed=3,4');
    // This test is the worker that dies: it takes a job and uploads a run folder, and never completes it.
    const me = { id: 'test:upload-then-die', host: 'test', gpu: null, engine: 'none' };
    const { job } = await client.post<{ job: LabJob }>('/jobs/next', {
      worker: me,
      health: { healthy: true, problem: null },
    });
    const folder = await exportedRunTar(ids);
    const put = (body: Uint8Array) =>
      client.put<{ imported: boolean }>(
        `/runs/${job.runId}/folder?${new URLSearchParams({ job: job.jobId, worker: JSON.stringify(me) })}`,
        body,
      );
    expect(await put(folder)).toEqual({ imported: true });
    expect(await put(folder)).toEqual({ imported: false });
    startWorker('w7');
    await waitForStatus(allCompleted(ids), 120_000, 'the sweep with the orphaned job');
    const runs = storedRuns(ids);
    for (const run of runs) expect(run).toMatchObject({ rows: 1, status: 'completed', epochs: 1 });
    expect(runs[ids.indexOf(job.runId)].worker!.id).toBe(me.id);
  }, 240_000);

  /** A finished run of the first sweep, exported from the hub's store and packed as a worker packs one. */
  async function exportedRunTar(exclude: number[]): Promise<Uint8Array> {
    const done = store((db) =>
      db.prepare("SELECT id FROM runs WHERE status = 'completed' ORDER BY id").all(),
    ) as Array<{
      id: number;
    }>;
    const source = done.find((r) => !exclude.includes(r.id))!.id;
    const out = mkdtempSync(join(root, 'export-'));
    const exported = await runCli(['export-run', String(source), '--out', out, '--data-dir', hubDir]);
    expect(exported.code).toBe(0);
    const [folder] = readdirSync(out);
    await create({ cwd: join(out, folder), file: join(out, 'run.tar'), portable: true }, ['.']);
    return readFileSync(join(out, 'run.tar'));
  }

  it('carries on through a hub restart and a PostgreSQL restart mid-sweep, losing nothing', async () => {
    const ids = await sweep('--epochs', '4', '--vary', 'latent=2,4,8', '--vary', 'seed=1,2');
    startWorker('w8');
    startWorker('w9');
    const completed = (s: LabStatus) => jobsOf(s, ids).filter((j) => j.state === 'completed').length;
    await waitForStatus((s) => completed(s) >= 1, 120_000, 'a first run of the sweep');
    await stopHub();
    await startHub();
    const before = await waitForStatus((s) => completed(s) >= 2 && completed(s), 120_000, 'a run after the restart');
    expect(before).toBeLessThan(ids.length);
    pg.stop();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    pg.start();
    await waitForStatus(allCompleted(ids), 240_000, 'the whole sweep');
    for (const run of storedRuns(ids)) expect(run).toMatchObject({ rows: 1, status: 'completed', epochs: 4 });
  }, 420_000);

  it('stops a worker whose jobs keep failing the same way, and another trains them', async () => {
    const ids = await sweep('--epochs', '1', '--vary', 'seed=7,8');
    // A broken box: its store cannot hold run folders (a file stands where the folder goes).
    const brokenDir = join(root, 'broken');
    mkdirSync(brokenDir);
    writeFileSync(join(brokenDir, 'runs'), '');
    const broken = startWorkerProcess(url, token, brokenDir);
    workers.push(broken);
    const ended = await broken.done;
    expect(ended.code).toBe(1);
    expect(ended.stdout).toMatch(/^Stopped taking work: 3 jobs in a row failed with: ENOTDIR: not a directory/);
    const reported = (await status()).workers.find((w) => !w.health.healthy)!;
    expect(reported.health.problem).toMatch(/^3 jobs in a row failed with: ENOTDIR/);
    const jobs = await runCli(['jobs', '--hub', url, '--token', token]);
    expect(jobs.stdout).toMatch(/UNHEALTHY: 3 jobs in a row failed/);
    // The jobs were retried, not lost: a healthy worker trains both.
    startWorker('w10');
    await waitForStatus(allCompleted(ids), 120_000, 'the failed jobs on a healthy worker');
    for (const run of storedRuns(ids)) expect(run).toMatchObject({ rows: 1, status: 'completed', epochs: 1 });
    expect((await status()).jobs.filter((j) => ids.includes(j.runId)).some((j) => j.retryCount > 0)).toBe(true);
  }, 240_000);

  it('refuses a wrong token, another version, and malformed or oversized uploads in words, storing nothing', async () => {
    const raw = (path: string, headers: Record<string, string>, init: RequestInit = {}) =>
      fetch(`${url}${labApiBase}${path}`, { ...init, headers: { ...headers, ...(init.headers as object) } });
    const wrongToken = await raw('/status', { authorization: 'Bearer nope', 'x-ae-studio-version': appVersion() });
    expect(wrongToken.status).toBe(401);
    expect(((await wrongToken.json()) as { error: string }).error).toMatch(/refused this token.*hub token/);
    const cli = await runCli(['jobs', '--hub', url, '--token', 'nope']);
    expect(cli).toMatchObject({ code: 1 });
    expect(cli.stderr).toMatch(/^Error: The hub refused this token/);
    const otherVersion = await raw('/status', { authorization: `Bearer ${token}`, 'x-ae-studio-version': '0.0.1' });
    expect(otherVersion.status).toBe(409);
    expect(((await otherVersion.json()) as { error: string }).error).toBe(
      `This hub runs Autoencoder Studio ${appVersion()} and the caller 0.0.1; install ${appVersion()} on the worker so both train and store runs the same way.`,
    );

    // Classes to train on go by index to a hub (this machine does not know its class names), checked there.
    const hubSweep = ['sweep', '--hub', url, '--token', token, '--dataset', '1', '--vary', 'seed=1,2'];
    const byName = await runCli([...hubSweep, '--train-classes', 'Sandal']);
    expect(byName.stderr).toBe('Error: With --hub, --train-classes takes class indices (0, 1, …).\n');
    const noSuchClass = await runCli([...hubSweep, '--train-classes', '42']);
    expect(noSuchClass.stderr).toMatch(/there is no class 42 to train on/);

    const ids = await sweep('--epochs', '1', '--vary', 'seed=5,6');
    const me = { id: 'test:bad-uploads', host: 'test', gpu: null, engine: 'none' };
    const { job } = await client.post<{ job: LabJob }>('/jobs/next', {
      worker: me,
      health: { healthy: true, problem: null },
    });
    expect(ids).toContain(job.runId);
    const upload = (body: Uint8Array) =>
      raw(
        `/runs/${job.runId}/folder?${new URLSearchParams({ job: job.jobId, worker: JSON.stringify(me) })}`,
        { authorization: `Bearer ${token}`, 'x-ae-studio-version': appVersion() },
        { method: 'PUT', body: Buffer.from(body) },
      );
    const notTar = await upload(new TextEncoder().encode('this is not a tar file'));
    expect(notTar.status).toBe(400);
    expect(((await notTar.json()) as { error: string }).error).toMatch(
      /not a run folder packed with tar.*Nothing was stored/,
    );
    const huge = await upload(new Uint8Array(41e6));
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: string }).error).toMatch(
      /larger than this hub takes \(40 MB.*Nothing was stored/,
    );
    const emptyDir = mkdtempSync(join(root, 'empty-'));
    await create({ cwd: emptyDir, file: join(root, 'empty.tar'), portable: true }, ['.']);
    const noRun = await upload(readFileSync(join(root, 'empty.tar')));
    expect(noRun.status).toBe(400);
    expect(((await noRun.json()) as { error: string }).error).toMatch(/is not an exported run: it has no run\.json/);
    // Nothing stored: the run is not home, has no folder, and no upload is left behind.
    expect(storedRuns([job.runId])[0]).toMatchObject({ rows: 1, home: null, epochs: 0, checkpoints: [] });
    expect(existsSync(dataLayout(hubDir).runDir(job.runId))).toBe(false);
    expect(readdirSync(join(hubDir, 'lab', 'uploads'))).toEqual([]);
    for (const id of ids) await client.post(`/runs/${id}/cancel`);
  }, 120_000);
});
