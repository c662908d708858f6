import { createServer } from 'node:net';

/** Fails with a message naming the port and the service that wanted it. */
export async function assertPortFree(port: number, service: string, host = '127.0.0.1'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${port} (${service}) is already in use; stop what holds it or choose another port`
            : `cannot listen on port ${port} (${service}): ${err.message}`,
        ),
      ),
    );
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve()));
  });
}
