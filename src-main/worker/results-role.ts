import { openDatabase } from '../store/database';
import { dataLayout } from '../app/paths';
import { selectEngine } from '../engine/select-engine';
import { Evaluator, isLongRequest, type EvaluationRequest } from '../evaluation/evaluator';
import type { EvaluationAsk } from '../evaluation/evaluation-client';
import { cancelledRequest, type RequestScope } from '../evaluation/request-scope';
import { toApiError, type ParentPort } from './parent-port';

interface Waiting {
  id: number;
  request: EvaluationRequest;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The results worker: long-lived, it keeps the models loaded and answers request after request. Requests wait here and
 * are answered one at a time (they share the engine and its memory), in order, except that a long one (a whole
 * split's errors) answers the quick ones that arrive meanwhile between its chunks: a gallery or a decode never waits
 * minutes behind an error table. A cancelled request is dropped if it waits, or stops at its next step if it runs;
 * the others go on.
 */
export function resultsRole(parent: ParentPort): (message: EvaluationAsk) => void {
  let evaluator: Promise<Evaluator> | undefined;
  const waiting: Waiting[] = [];
  /** The requests being answered (a long one, and a quick one answered between its chunks). */
  const answering = new Map<number, AbortController>();
  let pumping = false;

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      const ready = await evaluator!;
      while (waiting.length > 0) await answer(ready, waiting.shift()!);
    } catch (err) {
      // The engine could not start: every request waiting says why.
      for (const { id, request } of waiting.splice(0)) {
        parent.send({ type: 'evaluate-done', id, result: null, error: toApiError(request.channel, err) });
      }
    } finally {
      pumping = false;
    }
  }

  async function answer(ready: Evaluator, { id, request }: Waiting): Promise<void> {
    const controller = new AbortController();
    answering.set(id, controller);
    const { signal } = controller;
    const check = () => {
      if (signal.aborted) throw cancelledRequest();
    };
    const scope: RequestScope = {
      signal,
      report: (step) => {
        check();
        parent.send({ type: 'evaluate-progress', id, step });
      },
      letIn: async () => {
        await nextTurn();
        check();
      },
      between: async () => {
        await answerQuick(ready);
        check();
      },
    };
    try {
      const result = await ready.handle(request, scope);
      parent.send({ type: 'evaluate-done', id, result, error: null });
    } catch (err) {
      parent.send({ type: 'evaluate-done', id, result: null, error: toApiError(request.channel, err) });
    } finally {
      answering.delete(id);
    }
  }

  /** Answers the quick requests waiting, then lets the long one in progress carry on. */
  async function answerQuick(ready: Evaluator): Promise<void> {
    // Messages that arrived while the long request computed are delivered now.
    await nextTurn();
    for (let i = 0; i < waiting.length;) {
      if (isLongRequest(waiting[i].request)) i++;
      else await answer(ready, waiting.splice(i, 1)[0]);
    }
  }

  function cancel(id: number): void {
    const queued = waiting.findIndex((item) => item.id === id);
    if (queued >= 0) {
      const [{ request }] = waiting.splice(queued, 1);
      parent.send({ type: 'evaluate-done', id, result: null, error: toApiError(request.channel, cancelledRequest()) });
    } else answering.get(id)?.abort();
  }

  return (message) => {
    if (message.type === 'evaluate-cancel') return cancel(message.id);
    const { dataDir } = message;
    evaluator ??= selectEngine().then(
      (engine) => new Evaluator(engine.tf, openDatabase(dataLayout(dataDir).database), dataDir, engine.status.name),
    );
    waiting.push({ id: message.id, request: message.request });
    void pump();
  };
}
