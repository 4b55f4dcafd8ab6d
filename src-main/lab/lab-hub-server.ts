import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { extract } from 'tar';
import { UserError } from '../api/errors';
import { presetsFor } from '../runs/train-setup';
import { findDatasetByName, getDataset } from '../store/datasets';
import { tokenMatches } from '../app/token-match';
import { z } from 'zod';
import type { StartSweepArgs } from '../api/contract';
import type { LabHub } from './lab-hub';
import {
  appVersion,
  completeSchema,
  failSchema,
  heartbeatSchema,
  helloSchema,
  labApiBase,
  versionHeader,
  workerInfoSchema,
} from './lab-protocol';

export interface LabServerOptions {
  hub: LabHub;
  token: string;
  host: string;
  port: number;
  /** The largest run folder a worker may upload (bytes). */
  maxUploadBytes: number;
  /** Checks a sweep's arguments as the app's API does (host/schemas.ts), or throws in words. */
  checkSweep(value: unknown): StartSweepArgs;
}

export interface LabServer {
  url: string;
  close(): Promise<void>;
}

/** JSON requests are small (a heartbeat carries the epochs so far); run folders come as their own upload. */
const maxJsonBytes = 8 * 1024 * 1024;

const statusOf: Partial<Record<string, number>> = {
  invalid_argument: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  store_unavailable: 503,
  disk_full: 507,
};

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The hub's HTTP API for its workers and for `ae-studio sweep/jobs/cancel --hub`. Every request carries the hub's
 * token (Authorization: Bearer) and the app's version; anything else is refused in words before it is read. The hub
 * speaks plain HTTP: put it behind a TLS reverse proxy when workers reach it over a network you do not trust.
 */
export async function startLabServer(options: LabServerOptions): Promise<LabServer> {
  const { hub } = options;
  const uploads = join(hub.store.dataDir, 'lab', 'uploads');
  // Uploads a killed hub was receiving are of no use now: their workers send them again.
  rmSync(uploads, { recursive: true, force: true });
  mkdirSync(uploads, { recursive: true });

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      const known = err instanceof HttpRefusal || err instanceof UserError;
      const status =
        err instanceof HttpRefusal ? err.status : err instanceof UserError ? (statusOf[err.code] ?? 400) : 503;
      // Anything else is the queue's database not answering (PostgreSQL restarting) or a bug: the worker retries.
      const message = known
        ? err.message
        : `The hub could not do that just now (${(err as Error).message}); try again.`;
      if (!known) console.warn(`[hub] ${req.method} ${req.url}: ${(err as Error).message}`);
      send(res, status, { error: message });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hub');
    if (!url.pathname.startsWith(`${labApiBase}/`)) throw new HttpRefusal(404, 'Not a lab hub address.');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!tokenMatches(bearer, options.token)) {
      throw new HttpRefusal(
        401,
        "The hub refused this token. Run 'ae-studio hub token --data-dir <the hub's folder>' on the hub for the right one.",
      );
    }
    const theirs = req.headers[versionHeader];
    if (theirs !== appVersion()) {
      throw new HttpRefusal(
        409,
        `This hub runs Autoencoder Studio ${appVersion()} and the caller ${typeof theirs === 'string' ? theirs : 'an unknown version'}; install ${appVersion()} on the worker so both train and store runs the same way.`,
      );
    }
    const path = url.pathname.slice(labApiBase.length);
    for (const [method, pattern, answer] of routes) {
      const match = req.method === method ? pattern.exec(path) : null;
      if (match) return answer(match.slice(1), req, res, url);
    }
    throw new HttpRefusal(404, `The hub has no ${req.method} ${url.pathname}.`);
  }

  type Answer = (params: string[], req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;
  const reply =
    <T>(work: (params: string[], req: IncomingMessage, url: URL) => Promise<T> | T): Answer =>
    async (params, req, res, url) =>
      send(res, 200, await work(params, req, url));
  const id = '([\\w-]+)';
  const routes: Array<[string, RegExp, Answer]> = [
    ['GET', /^\/status$/, reply(() => hub.status())],
    [
      'POST',
      /^\/hello$/,
      reply(async (_, req) => {
        const body = await json(req, helloSchema);
        hub.hello(body.worker, body.health);
        // Five heartbeats per timeout: a worker survives a missed one or two, and hears a cancel soon.
        return { version: appVersion(), heartbeatMs: (hub.queue.options.heartbeatSeconds * 1000) / 5 };
      }),
    ],
    [
      'POST',
      /^\/jobs\/next$/,
      reply(async (_, req) => {
        const body = await json(req, helloSchema);
        return { job: await hub.next(body.worker, body.health) };
      }),
    ],
    [
      'POST',
      new RegExp(`^/jobs/${id}/heartbeat$`),
      reply(async ([jobId], req) => {
        const body = await json(req, heartbeatSchema);
        return hub.heartbeat(jobId, body.worker, body.runId, body.epochs);
      }),
    ],
    [
      'POST',
      new RegExp(`^/jobs/${id}/complete$`),
      reply(async ([jobId], req) => {
        await hub.complete(jobId, (await json(req, completeSchema)).runId);
        return { completed: true };
      }),
    ],
    [
      'POST',
      new RegExp(`^/jobs/${id}/fail$`),
      reply(async ([jobId], req) => {
        const body = await json(req, failSchema);
        await hub.fail(jobId, body.runId, body.error);
        return { failed: true };
      }),
    ],
    [
      'PUT',
      /^\/runs\/(\d+)\/folder$/,
      reply(async ([runId], req, url) => {
        const worker = workerInfoSchema.safeParse(parseJson(url.searchParams.get('worker') ?? ''));
        if (!worker.success) throw new HttpRefusal(400, 'An upload must name its worker.');
        return receiveFolder(req, Number(runId), url.searchParams.get('job') ?? '', worker.data);
      }),
    ],
    ['POST', /^\/runs\/(\d+)\/cancel$/, reply(([runId]) => hub.cancel(Number(runId)))],
    ['GET', new RegExp(`^/datasets/${id}$`), reply(async ([hash]) => (await requirePack(hash)).pack)],
    [
      'GET',
      new RegExp(`^/datasets/${id}/pixels$`),
      async ([hash], _req, res) => {
        const { pixelFile } = await requirePack(hash);
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        await pipeline(createReadStream(pixelFile), res);
      },
    ],
    ['POST', /^\/sweeps$/, reply(async (_, req) => hub.startSweep(options.checkSweep(await json(req, z.unknown()))))],
    [
      'GET',
      /^\/presets$/,
      reply((_, _req, url) => {
        const name = url.searchParams.get('dataset') ?? '';
        const { db } = hub.store;
        const dataset = /^\d+$/.test(name) ? getDataset(db, Number(name)) : findDatasetByName(db, name);
        if (dataset?.status !== 'ready') throw new HttpRefusal(404, `The hub has no dataset "${name}".`);
        return { datasetId: dataset.id, presets: presetsFor(db, { datasetId: dataset.id }) };
      }),
    ],
  ];

  async function requirePack(hash: string) {
    const found = await hub.packs.byHash(hash);
    if (!found) throw new HttpRefusal(404, `The hub has no dataset ${hash}.`);
    return found;
  }

  /** Streams an upload to a file (refused past the limit), unpacks plain files and folders only, and imports it. */
  async function receiveFolder(
    req: IncomingMessage,
    runId: number,
    jobId: string,
    worker: z.infer<typeof workerInfoSchema>,
  ) {
    // Everything of one upload lives in one folder, removed whole at the end whatever happened (also a write stream
    // that opens its file after a refusal finds its folder gone).
    const work = join(uploads, randomUUID());
    const file = join(work, 'run.tar');
    const dir = join(work, 'run');
    mkdirSync(work);
    try {
      let bytes = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          if (bytes > options.maxUploadBytes) {
            done(
              new HttpRefusal(
                413,
                `The run's folder is larger than this hub takes (${Math.round(options.maxUploadBytes / 1e6)} MB; see hub --max-upload-mb). Nothing was stored.`,
              ),
            );
          } else done(null, chunk);
        },
      });
      await pipeline(req, limit, createWriteStream(file));
      mkdirSync(dir);
      try {
        await extract({
          file,
          cwd: dir,
          strict: true,
          // A run folder holds plain files and folders; links and devices are left out (and then missed by its checks).
          filter: (_path, entry) => 'type' in entry && (entry.type === 'File' || entry.type === 'Directory'),
        });
      } catch (err) {
        throw new HttpRefusal(
          400,
          `The upload is not a run folder packed with tar (${(err as Error).message}). Nothing was stored.`,
        );
      }
      return hub.importFolder(runId, jobId, dir, worker);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    // A refused request may leave its body unread (an upload past the limit): that connection is not used again.
    ...(status >= 400 ? { connection: 'close' } : {}),
  });
  res.end(text);
}

async function json<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<z.infer<S>> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req) {
    bytes += (chunk as Buffer).length;
    if (bytes > maxJsonBytes) throw new HttpRefusal(413, 'The request is too large.');
    chunks.push(chunk as Buffer);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpRefusal(400, 'The request is not JSON.');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HttpRefusal(
      400,
      `The request is not valid: ${issue?.path.join('.') || 'it'} ${issue?.message ?? 'is wrong'}.`,
    );
  }
  return parsed.data;
}
