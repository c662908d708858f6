import { createServer } from 'node:net';
import { assertPortFree } from '@peakstock/config';

describe('port checks before starting a service', () => {
  it('names the port and the service when the port is taken', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const { port } = holder.address() as { port: number };
    try {
      await expect(assertPortFree(port, 'Temporal dev server')).rejects.toThrow(
        new RegExp(`port ${port} \\(Temporal dev server\\) is already in use`),
      );
    } finally {
      holder.close();
    }
  });

  it('passes for a free port and leaves it free', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((r) => probe.close(() => r()));
    await expect(assertPortFree(port, 'API')).resolves.toBeUndefined();
    await expect(assertPortFree(port, 'API')).resolves.toBeUndefined();
  });
});
