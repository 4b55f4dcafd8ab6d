import { UserError } from '../api/errors';
import { appVersion, labApiBase, versionHeader, type LabErrorBody } from './lab-protocol';

export interface HubClientOptions {
  url: string;
  token: string;
  /**
   * How long to keep trying while the hub cannot be reached or answers 5xx (it restarts, its PostgreSQL restarts);
   * 0: say so at once (the CLI's one-off commands).
   */
  retryForMs?: number;
  /** Told each time a request will be tried again. */
  onRetry?: (why: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Talks to a lab hub: JSON requests with the token and the app's version, retried while the hub is away. */
export class HubClient {
  readonly base: string;
  /** The hub's address as given (scheme, host and port). */
  readonly origin: string;

  constructor(private readonly options: HubClientOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new UserError(
        'invalid_argument',
        `--hub needs the hub's address, like http://lab-server:7878 (not "${options.url}").`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UserError('invalid_argument', `--hub needs an http:// or https:// address (not "${options.url}").`);
    }
    if (!options.token)
      throw new UserError('invalid_argument', "--token is needed: run 'ae-studio hub token' on the hub.");
    this.origin = url.origin;
    this.base = `${url.origin}${url.pathname.replace(/\/$/, '')}${labApiBase}`;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, JSON.stringify(body), 'application/json');
  }

  /** Uploads bytes (a packed run folder). */
  put<T>(path: string, body: Uint8Array): Promise<T> {
    return this.request<T>('PUT', path, body, 'application/x-tar');
  }

  /** Downloads bytes (a dataset's pixels). */
  async bytes(path: string): Promise<Uint8Array> {
    return this.retrying(async () => {
      const res = await fetch(this.base + path, { headers: this.headers() });
      if (!res.ok) await this.refuse(res);
      return new Uint8Array(await res.arrayBuffer());
    });
  }

  private async request<T>(method: string, path: string, body?: string | Uint8Array, type?: string): Promise<T> {
    return this.retrying(async () => {
      const res = await fetch(this.base + path, {
        method,
        headers: { ...this.headers(), ...(type ? { 'content-type': type } : {}) },
        body,
      });
      if (!res.ok) await this.refuse(res);
      return (await res.json()) as T;
    });
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.options.token}`, [versionHeader]: appVersion() };
  }

  /** A refusal (4xx) is the caller's to fix and thrown at once; a 5xx is the hub's trouble and tried again. */
  private async refuse(res: Response): Promise<never> {
    const body = (await res.json().catch(() => undefined)) as LabErrorBody | undefined;
    const message = body?.error ?? `The hub answered ${res.status} ${res.statusText}.`;
    if (res.status >= 500) throw new HubAway(message);
    const code =
      res.status === 401 || res.status === 403
        ? 'forbidden'
        : res.status === 404
          ? 'not_found'
          : res.status === 409
            ? 'conflict'
            : 'invalid_argument';
    throw new UserError(code, message);
  }

  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    const until = Date.now() + (this.options.retryForMs ?? 0);
    for (let wait = 250; ; wait = Math.min(wait * 2, 5000)) {
      try {
        return await attempt();
      } catch (err) {
        if (err instanceof UserError) throw err;
        const why =
          err instanceof HubAway
            ? err.message
            : `the hub at ${this.options.url} cannot be reached (${describeNetworkError(err)})`;
        if (Date.now() + wait > until)
          throw new UserError('store_unavailable', `The lab hub is not answering: ${why}.`);
        this.options.onRetry?.(why);
        await sleep(wait);
      }
    }
  }
}

class HubAway extends Error {}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
