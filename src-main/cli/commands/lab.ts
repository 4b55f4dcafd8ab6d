import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { UserError } from '../../api/errors';
import { parseArgument } from '../../host/handlers';
import { spawnNodeWorker } from '../../worker/node-worker';
import type { Command } from '../command';
import { number } from '../options';
import { LabHub } from '../../lab/lab-hub';
import { LabQueue } from '../../lab/lab-queue';
import { startLabServer } from '../../lab/lab-hub-server';
import { HubClient } from '../../lab/hub-client';
import { hubAddress, hubAddressFile, hubToken } from '../../lab/hub-token';
import { runLabWorker } from '../../lab/lab-worker';
import { slurmScript } from '../../lab/slurm-script';
import { defaultHubPort, type LabStatus } from '../../lab/lab-protocol';

/** Waits for Ctrl+C or SIGTERM. */
const untilInterrupted = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });

function joinCommand(dataDir: string): { token: string; join: string } {
  const token = hubToken(dataDir);
  const address = hubAddress(dataDir) ?? `http://${hostname()}:${defaultHubPort}`;
  return { token, join: `ae-studio worker --hub ${address} --token ${token}` };
}

function formatStatus(status: LabStatus): string {
  const workers = status.workers.map(
    (w) =>
      `  ${w.id}  ${w.gpu ?? 'CPU'}  ${w.engine}  ${w.health.healthy ? 'healthy' : `UNHEALTHY: ${w.health.problem}`}  ` +
      `${w.runId === null ? 'idle' : `run ${w.runId}`}  last heard ${w.lastSeen}`,
  );
  const counts = new Map<string, Map<string, number>>();
  for (const job of status.jobs) {
    const who = job.worker?.id ?? '(no worker yet)';
    const row = counts.get(who) ?? new Map<string, number>();
    row.set(job.state, (row.get(job.state) ?? 0) + 1);
    counts.set(who, row);
  }
  const perWorker = [...counts].map(
    ([who, row]) => `  ${who}: ${[...row].map(([state, n]) => `${n} ${state}`).join(', ')}`,
  );
  const jobs = status.jobs.map(
    (j) =>
      `  run ${j.runId}  ${j.state.padEnd(9)} ${j.runStatus.padEnd(11)} ${j.epochsDone}/${j.epochs} epochs  ` +
      `${j.worker ? `${j.worker.host} ${j.worker.gpu ?? 'CPU'}` : ''}  ${j.name}`,
  );
  return [
    `Hub version ${status.version}.`,
    `Workers (${status.workers.length}):`,
    ...(workers.length ? workers : ['  none yet: start one with the command `ae-studio hub token` prints']),
    'Jobs per worker:',
    ...(perWorker.length ? perWorker : ['  none']),
    'Jobs:',
    ...(jobs.length ? jobs : ['  none']),
  ].join('\n');
}

/** A lab: a hub that owns the store and the queue, workers on any number of machines, and Slurm to place them. */
export const labCommands: Command[] = [
  {
    name: 'hub',
    args: '[token]',
    summary: "Run a lab hub (its store, queue and workers' API), or print its token and a worker's join command:",
    details: [
      '--db postgres://… (the queue), --host H (default 127.0.0.1) --port P (default 7878), --max-upload-mb N,',
      '--heartbeat-seconds N (a worker unheard for this long loses its job to another; default 60),',
      '--run-hours N (the longest one run may train before it is tried again; at most and by default 24)',
    ],
    async run({ flags, positionals, out, dataDir, services }) {
      if (positionals[0] === 'token') {
        const joined = joinCommand(dataDir);
        out.result(joined, `Token: ${joined.token}\nOn each worker machine run:\n  ${joined.join}`);
        return 0;
      }
      if (positionals.length > 0)
        throw new UserError('invalid_argument', `hub takes no "${positionals[0]}"; did you mean "hub token"?`);
      if (!flags.db)
        throw new UserError(
          'invalid_argument',
          'hub needs --db postgres://user:password@host:port/database for its queue.',
        );
      const heartbeatSeconds = number('heartbeat-seconds', flags['heartbeat-seconds']) ?? 60;
      if (!Number.isInteger(heartbeatSeconds) || heartbeatSeconds < 10) {
        throw new UserError('invalid_argument', '--heartbeat-seconds must be a whole number of at least 10.');
      }
      const maxUploadMb = number('max-upload-mb', flags['max-upload-mb']) ?? 4096;
      // pg-boss expires an active job after at most 24 hours.
      const runHours = number('run-hours', flags['run-hours']) ?? 24;
      if (!(runHours > 0 && runHours <= 24)) {
        throw new UserError('invalid_argument', "--run-hours must be above 0 and at most 24 (the queue's limit).");
      }
      const queue = await LabQueue.open(
        {
          connectionString: flags.db,
          heartbeatSeconds,
          retryLimit: 3,
          superviseSeconds: Math.min(10, heartbeatSeconds / 5),
          runSeconds: Math.round(runHours * 3600),
        },
        (err) => out.progress(`Queue: ${err.message}`),
      );
      const hub = new LabHub(services, queue);
      const resent = await hub.resendUnfinished();
      const server = await startLabServer({
        hub,
        token: hubToken(dataDir),
        host: flags.host ?? '127.0.0.1',
        port: number('port', flags.port) ?? defaultHubPort,
        maxUploadBytes: maxUploadMb * 1e6,
        checkSweep: (value) => {
          const parsed = parseArgument('lab:sweep', value);
          if (!parsed.ok) throw new UserError(parsed.error.code, parsed.error.message);
          return parsed.value;
        },
      });
      writeFileSync(hubAddressFile(dataDir), `${server.url}\n`);
      const settling = setInterval(
        () => void hub.settle().catch((err: Error) => out.progress(`Hub: ${err.message}`)),
        (heartbeatSeconds * 1000) / 2,
      );
      out.result(
        { url: server.url, dataDir, resent },
        `Lab hub at ${server.url} (data folder ${dataDir}; ${resent} unfinished runs queued again).\n` +
          `Workers join with the command 'ae-studio hub token --data-dir ${dataDir}' prints. Press Ctrl+C to stop.`,
      );
      await untilInterrupted();
      out.progress('Stopping the hub…');
      clearInterval(settling);
      await server.close();
      await queue.close();
      return 0;
    },
  },
  {
    name: 'worker',
    summary: "Train a lab hub's runs on this machine:",
    details: [
      '--hub URL --token T [--gpus 0,1 (one loop per GPU; default: one on the CPU)] [--once: one job, then exit]',
      "(keeps its dataset cache in its own --data-dir, by default beside the app's data folder)",
    ],
    defaultDataDir: (standard) => `${standard} (lab worker)`,
    async run({ flags, out, services }) {
      if (flags.hub === undefined) throw new UserError('invalid_argument', 'worker needs --hub URL --token T.');
      const client = new HubClient({
        url: flags.hub,
        token: flags.token ?? '',
        retryForMs: 30 * 60_000,
        onRetry: (why) => out.progress(`Waiting for the hub: ${why}`),
      });
      const gpus = (flags.gpus ?? '')
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean);
      if (gpus.some((g) => !/^\d+$/.test(g)))
        throw new UserError('invalid_argument', `--gpus takes GPU numbers like 0,1, not "${flags.gpus}".`);
      // Ctrl+C: finish the job in hand and take no more; a second Ctrl+C stops it now (its job goes back to the queue).
      const stop = new AbortController();
      const onSignal = () => {
        if (stop.signal.aborted) {
          process.kill(process.pid, 'SIGTERM');
          return;
        }
        stop.abort();
        out.progress('Finishing the run in hand, then stopping. Press Ctrl+C again to stop now.');
      };
      process.on('SIGINT', onSignal);
      try {
        const result = await runLabWorker({
          client,
          services,
          spawnWorker: spawnNodeWorker,
          gpus,
          once: flags.once,
          log: (text) => out.progress(text),
          signal: stop.signal,
        });
        out.result(
          result,
          result.unhealthy ? `Stopped taking work: ${result.unhealthy}` : `Trained ${result.trained} runs.`,
        );
        return result.unhealthy ? 1 : 0;
      } finally {
        process.off('SIGINT', onSignal);
      }
    },
  },
  {
    name: 'jobs',
    summary: "A lab hub's workers and jobs (queued, running, done per worker): --hub URL --token T",
    hubOnly: true,
    async onHub({ hub, out }) {
      const status = await hub.get<LabStatus>('/status');
      out.result(status, formatStatus(status));
      return 0;
    },
  },
  {
    name: 'cancel',
    args: '<run-id>',
    summary:
      "Cancel a lab hub's run (queued: at once; training: its worker stops between batches): --hub URL --token T",
    hubOnly: true,
    async onHub({ hub, out, positionals }) {
      const runId = number('run-id', positionals[0]);
      if (runId === undefined)
        throw new UserError('invalid_argument', 'Say which run: ae-studio cancel --hub URL --token T <run-id>');
      const answer = await hub.post<{ wasTraining: boolean }>(`/runs/${runId}/cancel`);
      out.result(
        answer,
        answer.wasTraining
          ? `Run ${runId} is cancelled; its worker stops it between batches.`
          : `Run ${runId} is cancelled.`,
      );
      return 0;
    },
  },
  {
    name: 'slurm-script',
    summary: 'Print an sbatch job-array script whose tasks are lab workers (one job each):',
    details: ['--hub URL --token T --tasks N [--partition P] [--time 04:00:00] [--gpus N per task]'],
    hubOnly: true,
    async onHub({ out, flags }) {
      const script = slurmScript({
        hub: flags.hub ?? '',
        token: flags.token ?? '',
        tasks: number('tasks', flags.tasks) ?? Number.NaN,
        partition: flags.partition,
        time: flags.time,
        gpus: number('gpus', flags.gpus) ?? 0,
      });
      out.result({ script }, script.trimEnd());
      return 0;
    },
  },
];
