import {
  formatTime,
  isNotificationKind,
  NOTIFICATION_KINDS,
  NOTIFICATION_TEMPLATES,
  type NotificationDataByKind,
  type NotificationKind,
  renderNotification,
} from '@peakstock/notify';

const CJK = /[\u4e00-\u9fff]/;

const task = {
  taskId: 'task-7',
  taskTitle: 'Approve transfer SKU-1',
  dueAt: '2026-11-11T20:30:00+08:00',
  workflowId: 'transfer:SKU-1:WH-SH',
  link: 'https://console.example/tasks/task-7',
};
const alert = {
  alertId: 'alert-42',
  sku: 'SKU-1',
  warehouse: 'WH-SH',
  available: 1234,
  minutesToStockout: 12,
  forecastQty: 300,
  forecastWindowMinutes: 30,
  raisedAt: '2026-11-11T12:00:00Z',
  link: 'https://console.example/alerts/alert-42',
};
const SAMPLES: { [K in NotificationKind]: NotificationDataByKind[K] } = {
  'task.assigned': task,
  'task.reminder': task,
  'task.escalated': { ...task, escalatedFromName: 'Li Lei', reason: 'SLA passed' },
  'task.expired': { ...task, expiredAt: '2026-11-11T21:00:00+08:00' },
  'alert.notice': alert,
  'alert.warning': alert,
  'alert.critical': alert,
  'alert.resolved': { ...alert, level: 'critical', resolvedAt: '2026-11-11T13:00:00Z' },
  'workflow.failed': {
    workflowId: 'restock:SKU-1',
    workflowType: 'urgentRestock',
    error: 'supplier API down',
    failedAt: '2026-11-11T12:00:00Z',
    link: 'https://console.example/workflows/restock:SKU-1',
  },
  'workflow.late': {
    workflowId: 'kit-build:GIFT-BOX:HZ1',
    what: 'kit build 200 × GIFT-BOX at HZ1',
    expected: 100,
    actual: 40,
    dueAt: '2026-11-10T18:00:00+08:00',
    link: 'https://console.example/workflows/kit-build:GIFT-BOX:HZ1',
  },
};

function render<K extends NotificationKind>(kind: K, locale: 'zh-CN' | 'en', timeZone?: string) {
  return renderNotification(kind, SAMPLES[kind], { locale, ...(timeZone ? { timeZone } : {}) });
}

describe('notification templates', () => {
  it('lists exactly the kinds the registry can render', () => {
    expect([...NOTIFICATION_KINDS].sort()).toEqual(Object.keys(NOTIFICATION_TEMPLATES).sort());
    expect(isNotificationKind('alert.critical')).toBe(true);
    expect(isNotificationKind('alert.panic')).toBe(false);
  });

  it.each(NOTIFICATION_KINDS)(
    'renders %s in Chinese for zh-CN readers and English for en readers',
    (kind) => {
      const zh = render(kind, 'zh-CN');
      const en = render(kind, 'en');
      for (const r of [zh, en]) {
        expect(r.subject).toMatch(/^\[PeakStock\] \S/);
        expect(r.subject).not.toMatch(/[\r\n]/);
        expect(r.text.length).toBeGreaterThan(20);
        expect(r.html).toContain(`<html lang="${r.locale}">`);
        expect(r.markdown).toMatch(/^### /);
        expect(r.link?.url).toMatch(/^https:\/\/console\.example\//);
      }
      expect(zh.subject + zh.text).toMatch(CJK);
      expect(en.subject + en.text).not.toMatch(CJK);
      expect(zh.text).not.toBe(en.text);
    },
  );

  it('names the alert level in the reader language and keeps the numbers that caused it', () => {
    const zh = render('alert.critical', 'zh-CN');
    expect(zh.subject).toBe('[PeakStock] [严重] SKU-1 在 WH-SH 即将缺货');
    expect(zh.text).toContain('可用库存：1,234');
    expect(zh.text).toContain('预计缺货：约 12 分钟');
    expect(zh.text).toContain('未来 30 分钟预测需求：300');
    const en = render('alert.warning', 'en');
    expect(en.subject).toBe('[PeakStock] [Warning] SKU-1 running low at WH-SH');
    expect(en.text).toContain('Available: 1,234');
    expect(en.text).toContain('Stockout in: about 12 min');
    expect(render('alert.notice', 'en').severity).toBe('info');
    expect(render('alert.resolved', 'en').text).not.toContain('Stockout in');
  });

  it('shows times in the reader time zone, Asia/Shanghai by default', () => {
    expect(render('alert.critical', 'en').text).toContain('Raised: 2026-11-11 20:00 (GMT+8)');
    expect(render('alert.critical', 'en', 'America/New_York').text).toContain(
      'Raised: 2026-11-11 07:00 (GMT-5)',
    );
    expect(render('task.assigned', 'zh-CN', 'UTC').text).toContain('截止时间：2026-11-11 12:30 (UTC)');
    // A stale zone in a user profile must not lose the notification.
    expect(formatTime('2026-11-11T12:00:00Z', 'Mars/Olympus')).toBe('2026-11-11 20:00 (GMT+8)');
    expect(formatTime('not a time')).toBe('not a time');
  });

  it('escapes data in the HTML variant', () => {
    const r = renderNotification(
      'task.assigned',
      { taskId: 't<1>', taskTitle: '<script>alert("x")</script> & co', link: 'https://c.example/?a=1&b="2"' },
      { locale: 'en' },
    );
    expect(r.html).not.toContain('<script>');
    expect(r.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co');
    expect(r.html).toContain('href="https://c.example/?a=1&amp;b=%222%22"');
    expect(r.text).toContain('<script>alert("x")</script> & co');
  });

  it('keeps data literal in Markdown and never links to a non-http URL', () => {
    const r = renderNotification(
      'alert.critical',
      { sku: 'A_B*1', warehouse: '[WH](https://evil.example)', available: 0, link: 'javascript:alert(1)' },
      { locale: 'en' },
    );
    expect(r.markdown).toContain('A\\_B\\*1');
    expect(r.markdown).toContain('\\[WH\\](https://evil.example)');
    expect(r.markdown).not.toContain('javascript:');
    expect(r.html).not.toContain('javascript:');
    expect(r.link).toBeUndefined();
  });

  it('cuts a long workflow error to one bounded line', () => {
    const r = renderNotification(
      'workflow.failed',
      { workflowId: 'w1', error: 'boom\n    at frame\n'.repeat(200) },
      { locale: 'zh-CN' },
    );
    const line = r.text.split('\n').find((l) => l.startsWith('错误：'))!;
    expect(line.length).toBeLessThanOrEqual(503);
    expect(line.endsWith('…')).toBe(true);
  });
});
