/**
 * Listening with graceful shutdown: on SIGTERM or SIGINT the server stops taking requests, answers the ones it
 * took, releases the model, and the returned promise settles.
 * @module
 */
import type { FastifyInstance } from 'fastify';

/**
 * Listens on `host:port` and closes the server on the first SIGTERM or SIGINT.
 * @returns the address listened on, and a promise that settles when the server has closed after a signal.
 */
export async function listenUntilSignal(
  app: FastifyInstance,
  host: string,
  port: number,
): Promise<{ address: string; closed: Promise<NodeJS.Signals> }> {
  const address = await app.listen({ host, port });
  const closed = new Promise<NodeJS.Signals>((resolve, reject) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      app.close().then(() => resolve(signal), reject);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return { address, closed };
}
