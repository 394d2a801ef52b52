/**
 * Runs one API call for a command and turns the client's errors into the CLI's: input the route
 * refuses is a usage error (exit 2); an API that cannot be reached, refuses the token, or answers
 * wrongly is a failure with a hint at the fix (exit 1).
 */
import { ApiProtocolError, ApiResponseError, ApiStreamError, ApiUnreachableError, CONNECTION_CLOSED, InvalidRequestError } from '../../api/client-errors.ts';
import { ApiLimits } from '../../api/limits.ts';
import { UsageError } from '../args.ts';
import { CommandFailedError } from '../command.ts';

export async function callApi<T>(baseUrl: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translateApiError(error, baseUrl);
  }
}

export function translateApiError(error: unknown, baseUrl: string): unknown {
  if (error instanceof InvalidRequestError) return new UsageError(error.message);
  if (error instanceof ApiUnreachableError && error.reason === CONNECTION_CLOSED) {
    // Something listens there, so starting a node is the wrong advice.
    return new CommandFailedError(`${error.message}\nThe node there may be stopping, or at its limit of open API connections (${ApiLimits.connectionsMax}); try again.`);
  }
  if (error instanceof ApiUnreachableError) {
    return new CommandFailedError(
      `${error.message}\nStart a node ('peergrid node start', or 'npm start' for a local devnet), or pass --api URL.`,
    );
  }
  if (error instanceof ApiResponseError) {
    // The node judged the arguments (a value too large once decoded, say): the user's to fix.
    if (error.status === 400 || error.status === 413) return new UsageError(error.serverMessage);
    if (error.status === 401) {
      return new CommandFailedError(`${baseUrl} refused the request: ${error.serverMessage}\n`
        + 'Pass --token-file <data dir>/api-token, or set PEERGRID_API_TOKEN.');
    }
    return new CommandFailedError(`${baseUrl}: ${error.message}`);
  }
  if (error instanceof ApiProtocolError) return new CommandFailedError(`${baseUrl}: ${error.message}`);
  if (error instanceof ApiStreamError) return new CommandFailedError(error.message);
  return error;
}
