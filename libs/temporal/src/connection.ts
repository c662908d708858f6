import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { AppConfig } from '@peakstock/config';

type TemporalConfig = AppConfig['temporal'];

function tlsOptions(t: TemporalConfig) {
  if (!t.tls && !t.apiKey) return undefined;
  if (!t.tls) return true; // API keys (Temporal Cloud) always travel over TLS.
  return {
    serverNameOverride: t.tls.serverName,
    serverRootCACertificate: t.tls.caPath ? readFileSync(t.tls.caPath) : undefined,
    clientCertPair:
      t.tls.certPath && t.tls.keyPath
        ? { crt: readFileSync(t.tls.certPath), key: readFileSync(t.tls.keyPath) }
        : undefined,
  };
}

export function clientConnectionOptions(t: TemporalConfig): ConnectionOptions {
  return {
    address: t.address,
    tls: tlsOptions(t),
    apiKey: t.apiKey,
    metadata: t.apiKey ? { 'temporal-namespace': t.namespace } : undefined,
    connectTimeout: '5s',
  };
}

export async function connectClient(t: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect(clientConnectionOptions(t));
  return new Client({ connection, namespace: t.namespace });
}

export async function connectWorker(t: TemporalConfig): Promise<NativeConnection> {
  const opts: NativeConnectionOptions = {
    address: t.address,
    tls: tlsOptions(t),
    apiKey: t.apiKey,
    metadata: t.apiKey ? { 'temporal-namespace': t.namespace } : undefined,
  };
  return NativeConnection.connect(opts);
}
