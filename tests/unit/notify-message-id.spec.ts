import { messageId, messageUuid } from '@peakstock/notify';

describe('stable notification message ids', () => {
  it('gives the same email Message-ID for the same notification key and recipient, every time', () => {
    const a = messageId('alert:42:critical', 'ops@example.com');
    expect(a).toMatch(/^<[0-9a-f]{32}@peakstock>$/);
    expect(messageId('alert:42:critical', 'ops@example.com')).toBe(a);
    expect(messageId('alert:42:critical', ' OPS@example.com ')).toBe(a);
    // Golden value (SHA-256 of the JSON pair, first 128 bits): a change would make retries after a deploy look
    // like new messages.
    expect(a).toBe('<99f7107620e3cb5349817d053a7c15df@peakstock>');
  });

  it('differs per key and per recipient, and does not confuse how the pair is split', () => {
    const ids = new Set([
      messageId('alert:42:critical', 'ops@example.com'),
      messageId('alert:42:warning', 'ops@example.com'),
      messageId('alert:42:critical', 'lead@example.com'),
      messageId('a|b', 'c'),
      messageId('a', 'b|c'),
    ]);
    expect(ids.size).toBe(5);
  });

  it('gives IM platforms a UUID of the same identity', () => {
    const uuid = messageUuid('task:7:assigned', 'dingtalk:ops-group');
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(messageUuid('task:7:assigned', 'dingtalk:ops-group')).toBe(uuid);
    expect(messageUuid('task:7:reminder', 'dingtalk:ops-group')).not.toBe(uuid);
    const hex = messageId('task:7:assigned', 'dingtalk:ops-group').slice(1, 33);
    const uuidHex = uuid.replace(/-/g, '');
    // Same digest apart from the version nibble and the variant bits.
    expect(uuidHex.slice(0, 12)).toBe(hex.slice(0, 12));
    expect(uuidHex.slice(17)).toBe(hex.slice(17));
  });

  it('refuses an empty notification key, which would make every message look like one', () => {
    expect(() => messageId('', 'ops@example.com')).toThrow(/notificationKey/);
  });
});
