import { ConfigError, loadConfig } from '@peakstock/config';

const base = { DATABASE_URL: 'postgres://u:p@localhost:5432/db', TEMPORAL_ADDRESS: 'localhost:7233' };

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(base);
    expect(c.port).toBe(3000);
    expect(c.dataDir).toBe('.data');
    expect(c.temporal.namespace).toBe('default');
    expect(c.clock.allowControl).toBe(false);
  });

  it('names a bad variable in one line', () => {
    expect(() => loadConfig({ ...base, PORT: 'abc' })).toThrow(ConfigError);
    try {
      loadConfig({ ...base, PORT: 'abc' });
    } catch (err) {
      const msg = (err as Error).message;
      expect(msg).toMatch(/PORT/);
      expect(msg).toContain('"abc"');
      expect(msg).not.toContain('\n');
    }
  });

  it('names a missing required variable', () => {
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'localhost:7233' })).toThrow(/DATABASE_URL is required/);
  });

  it('refuses half a TLS client pair', () => {
    expect(() => loadConfig({ ...base, TEMPORAL_TLS_CERT: '/x.pem' })).toThrow(/TEMPORAL_TLS_KEY/);
  });

  it('believes proxies about client addresses only when told which: a hop count or addresses', () => {
    expect(loadConfig(base).trustProxy).toBeUndefined();
    expect(loadConfig({ ...base, TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
    expect(() => loadConfig({ ...base, TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ ...base, PORT: '', TIME_SCALE: '' }).port).toBe(3000);
  });

  it('refuses a bootstrap token that is too short to be a secret', () => {
    expect(() => loadConfig({ ...base, BOOTSTRAP_ADMIN_TOKEN: 'short' })).toThrow(/BOOTSTRAP_ADMIN_TOKEN/);
  });
});
