import {
  buildWebhookRequest,
  dingTalkSign,
  feishuSign,
  messageUuid,
  renderNotification,
  truncateUtf8,
  WebhookSender,
} from '@peakstock/notify';

// Vectors computed with Python's hmac module from the platforms' published algorithms, not with this code.
const DINGTALK_SECRET = 'SEC5f1b3c9d2e7a8b4c6d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3';
const NOW_MS = 1_762_862_400_000; // 2025-11-11T12:00:00Z

describe('IM webhook requests', () => {
  const message = {
    rendered: renderNotification(
      'task.assigned',
      { taskId: 't1', taskTitle: 'Approve transfer' },
      { locale: 'en' },
    ),
    messageId: messageUuid('task:t1:assigned', 'dingtalk:ops'),
  };

  it('signs DingTalk requests as HMAC-SHA256(secret, "timestamp\\nsecret"), URL-encoded', () => {
    const sign = 'PJeXsi6ugWi0ALVTBKqRrbHIMWxY7Pfn/USl7ZuF2y8=';
    expect(dingTalkSign(DINGTALK_SECRET, NOW_MS)).toBe(sign);
    const req = buildWebhookRequest(
      {
        platform: 'dingtalk',
        url: 'https://oapi.dingtalk.com/robot/send?access_token=abc',
        secret: DINGTALK_SECRET,
      },
      message,
      NOW_MS,
    );
    expect(req.url).toBe(
      `https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=${NOW_MS}&sign=${encodeURIComponent(sign)}`,
    );
  });

  it('signs Feishu requests as HMAC-SHA256(key "timestamp\\nsecret", empty message) with seconds', () => {
    expect(feishuSign('feishu-secret-xyz', NOW_MS / 1000)).toBe(
      'TWwT9gGYXLkWA7ja0cvf0Pobfuig+xNNlrPV8LWSiVY=',
    );
    const req = buildWebhookRequest(
      {
        platform: 'feishu',
        url: 'https://open.feishu.cn/open-apis/bot/v2/hook/x',
        secret: 'feishu-secret-xyz',
      },
      message,
      NOW_MS + 999, // still the same second
    );
    expect(req.body).toMatchObject({
      timestamp: String(NOW_MS / 1000),
      sign: 'TWwT9gGYXLkWA7ja0cvf0Pobfuig+xNNlrPV8LWSiVY=',
      msg_type: 'post',
    });
  });

  it('puts the stable id in a header on every platform', () => {
    for (const platform of ['dingtalk', 'feishu', 'wecom'] as const) {
      const req = buildWebhookRequest({ platform, url: 'https://robot.example/hook?k=1' }, message, NOW_MS);
      expect(req.headers['X-PeakStock-Message-Id']).toBe(message.messageId);
    }
  });

  it('refuses an unknown platform or a malformed URL when the sender is made', () => {
    expect(() => new WebhookSender({ platform: 'slack' as never, url: 'https://x.example' })).toThrow(
      TypeError,
    );
    expect(() => new WebhookSender({ platform: 'wecom', url: 'not a url' })).toThrow(/Invalid URL/);
  });

  it('truncates UTF-8 at a character boundary', () => {
    expect(truncateUtf8('abc', 3)).toBe('abc');
    const cut = truncateUtf8('库存'.repeat(10), 10); // 3 bytes per character
    expect(cut).toBe('库存…');
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(10);
  });
});
