/**
 * A thread of a TaskPool (task-pool.ts): runs the tasks it is sent, one at a time, and posts each
 * result or error back with the task's id.
 */
import { parentPort } from 'node:worker_threads';
import { callTask, type TaskRecipe } from './task-pool.ts';

export interface TaskRequest {
  readonly id: number;
  readonly task: TaskRecipe;
}

export type TaskResponse =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly message: string };

const port = parentPort;
if (port === null) throw new Error('task-worker.ts runs as a worker thread');

port.on('message', (request: TaskRequest) => {
  void (async () => {
    let response: TaskResponse;
    try {
      response = { id: request.id, ok: true, value: await callTask(request.task) };
    } catch (error) {
      response = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(response);
  })();
});
