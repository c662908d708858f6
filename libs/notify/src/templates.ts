/**
 * Message templates: one entry per notification kind with a zh-CN and an English variant. A variant builds a
 * neutral message (heading, paragraphs, labelled fields, one link); `renderNotification` turns that into the
 * email subject/text/html and the IM Markdown, escaping each format in one place. Everything here is pure.
 */
import {
  clip,
  DEFAULT_TIME_ZONE,
  escapeHtml,
  escapeMarkdown,
  formatNumber,
  formatTime,
  type Locale,
  safeUrl,
  singleLine,
} from './format';

export type AlertLevel = 'notice' | 'warning' | 'critical';

export interface TaskNotificationData {
  taskId: string;
  taskTitle: string;
  /** ISO 8601 with offset. */
  dueAt?: string;
  assigneeName?: string;
  /** The workflow waiting on the task. */
  workflowId?: string;
  /** Console page of the task. */
  link?: string;
}

export interface TaskEscalatedData extends TaskNotificationData {
  /** Who had the task before it was escalated. */
  escalatedFromName?: string;
  reason?: string;
}

export interface TaskExpiredData extends TaskNotificationData {
  expiredAt?: string;
}

export interface AlertNotificationData {
  alertId?: string;
  sku: string;
  skuName?: string;
  warehouse: string;
  available: number;
  /** Predicted minutes until available stock reaches zero; null or absent when no stockout is predicted. */
  minutesToStockout?: number | null;
  /** Forecast demand over `forecastWindowMinutes`, the number the alert compared `available` against. */
  forecastQty?: number;
  forecastWindowMinutes?: number;
  raisedAt?: string;
  link?: string;
}

export interface AlertResolvedData extends AlertNotificationData {
  /** The level the alert had when the stock recovered. */
  level: AlertLevel;
  resolvedAt?: string;
}

export interface WorkflowFailedData {
  workflowId: string;
  workflowType?: string;
  runId?: string;
  error: string;
  failedAt?: string;
  link?: string;
}

/** A workflow falling behind its own schedule (a kit build packing too slowly, a wave running late). */
export interface WorkflowLateData {
  workflowId: string;
  /** What is late, in words, e.g. `kit build 200 × GIFT-BOX at HZ1`. */
  what: string;
  /** Units the schedule expected done by now, and done so far. */
  expected: number;
  actual: number;
  /** ISO 8601 with offset. */
  dueAt?: string;
  link?: string;
}

/** The data each kind renders from. */
export interface NotificationDataByKind {
  'task.assigned': TaskNotificationData;
  'task.reminder': TaskNotificationData;
  'task.escalated': TaskEscalatedData;
  'task.expired': TaskExpiredData;
  'alert.notice': AlertNotificationData;
  'alert.warning': AlertNotificationData;
  'alert.critical': AlertNotificationData;
  'alert.resolved': AlertResolvedData;
  'workflow.failed': WorkflowFailedData;
  'workflow.late': WorkflowLateData;
}

export type NotificationKind = keyof NotificationDataByKind;

/** Every kind, for validating subscriptions (a unit test checks it against the template registry). */
export const NOTIFICATION_KINDS = [
  'task.assigned',
  'task.reminder',
  'task.escalated',
  'task.expired',
  'alert.notice',
  'alert.warning',
  'alert.critical',
  'alert.resolved',
  'workflow.failed',
  'workflow.late',
] as const satisfies readonly NotificationKind[];

export function isNotificationKind(s: string): s is NotificationKind {
  return (NOTIFICATION_KINDS as readonly string[]).includes(s);
}

/** How urgent a message looks (Feishu card colour, email accent); not a routing decision. */
export type Severity = 'info' | 'warning' | 'critical' | 'resolved';

export interface RenderOptions {
  locale: Locale;
  /** IANA zone of the reader; times are shown in it. Default Asia/Shanghai. */
  timeZone?: string;
}

export interface RenderedMessage {
  kind: NotificationKind;
  locale: Locale;
  severity: Severity;
  /** One line, no product prefix duplication: `[PeakStock] …`. */
  subject: string;
  text: string;
  html: string;
  /** Markdown for IM robots (DingTalk, WeCom, Feishu cards): headings, bold, lists and one link only. */
  markdown: string;
  /** The call to action, when the data had a usable http(s) link. */
  link?: { label: string; url: string };
  /** The structure the formats were made from, for channels with their own rich format (Feishu post/card). */
  doc: MessageDoc;
}

/** What a template variant produces; formats are derived from it. */
export interface MessageDoc {
  severity: Severity;
  subject: string;
  heading: string;
  paragraphs: string[];
  fields: Array<readonly [label: string, value: string]>;
  link?: { label: string; url: string };
}

interface Ctx {
  locale: Locale;
  timeZone: string;
  time(iso: string): string;
  num(n: number): string;
}

type Variant<K extends NotificationKind> = (data: NotificationDataByKind[K], ctx: Ctx) => MessageDoc;
export type TemplateRegistry = { [K in NotificationKind]: Record<Locale, Variant<K>> };

const PRODUCT = 'PeakStock';

const LEVEL_NAME: Record<Locale, Record<AlertLevel, string>> = {
  'zh-CN': { notice: '提示', warning: '预警', critical: '严重' },
  en: { notice: 'Notice', warning: 'Warning', critical: 'Critical' },
};

const LEVEL_SEVERITY: Record<AlertLevel, Severity> = {
  notice: 'info',
  warning: 'warning',
  critical: 'critical',
};

/** A labelled value, or `false` to leave a row out; an undefined value leaves it out too. */
type Row = readonly [label: string, value: string | undefined] | false;

/** Drops the rows whose value is absent, so templates can list optional data inline. */
function fields(...rows: Row[]): MessageDoc['fields'] {
  return rows.filter((r): r is readonly [string, string] => !!r && r[1] !== undefined && r[1] !== '');
}

function link(label: string, url: string | undefined): MessageDoc['link'] {
  const safe = safeUrl(url);
  return safe ? { label, url: safe } : undefined;
}

const opt = <T>(v: T | undefined | null, f: (v: T) => string): string | undefined =>
  v === undefined || v === null ? undefined : f(v);

// ---- tasks ----------------------------------------------------------------------------------------------

function taskFieldsZh(d: TaskNotificationData, c: Ctx): Row[] {
  return [
    ['任务', d.taskTitle],
    ['截止时间', opt(d.dueAt, c.time)],
    ['处理人', d.assigneeName],
    ['任务编号', d.taskId],
    ['流程编号', d.workflowId],
  ];
}

function taskFieldsEn(d: TaskNotificationData, c: Ctx): Row[] {
  return [
    ['Task', d.taskTitle],
    ['Due', opt(d.dueAt, c.time)],
    ['Assignee', d.assigneeName],
    ['Task id', d.taskId],
    ['Workflow', d.workflowId],
  ];
}

const taskTemplates: Pick<
  TemplateRegistry,
  'task.assigned' | 'task.reminder' | 'task.escalated' | 'task.expired'
> = {
  'task.assigned': {
    'zh-CN': (d, c) => ({
      severity: 'info',
      subject: `新任务：${d.taskTitle}`,
      heading: '您有一个新任务',
      paragraphs: [d.dueAt ? `请在 ${c.time(d.dueAt)} 前处理。` : '请尽快处理。'],
      fields: fields(...taskFieldsZh(d, c)),
      link: link('打开任务', d.link),
    }),
    en: (d, c) => ({
      severity: 'info',
      subject: `New task: ${d.taskTitle}`,
      heading: 'A task was assigned to you',
      paragraphs: [d.dueAt ? `Please decide by ${c.time(d.dueAt)}.` : 'Please handle it soon.'],
      fields: fields(...taskFieldsEn(d, c)),
      link: link('Open the task', d.link),
    }),
  },
  'task.reminder': {
    'zh-CN': (d, c) => ({
      severity: 'warning',
      subject: `任务提醒：${d.taskTitle}`,
      heading: '任务即将到期',
      paragraphs: [
        d.dueAt ? `该任务将于 ${c.time(d.dueAt)} 到期，逾期将升级处理。` : '该任务尚未处理，逾期将升级处理。',
      ],
      fields: fields(...taskFieldsZh(d, c)),
      link: link('打开任务', d.link),
    }),
    en: (d, c) => ({
      severity: 'warning',
      subject: `Reminder: ${d.taskTitle}`,
      heading: 'A task is waiting for you',
      paragraphs: [
        d.dueAt
          ? `It is due at ${c.time(d.dueAt)} and will be escalated if not handled by then.`
          : 'It is still open and will be escalated if not handled.',
      ],
      fields: fields(...taskFieldsEn(d, c)),
      link: link('Open the task', d.link),
    }),
  },
  'task.escalated': {
    'zh-CN': (d, c) => ({
      severity: 'warning',
      subject: `任务已升级：${d.taskTitle}`,
      heading: '一个任务已升级给您',
      paragraphs: [
        d.escalatedFromName ? `${d.escalatedFromName} 未在期限内处理。` : '原处理人未在期限内处理。',
      ],
      fields: fields(...taskFieldsZh(d, c), ['升级原因', d.reason]),
      link: link('打开任务', d.link),
    }),
    en: (d, c) => ({
      severity: 'warning',
      subject: `Escalated: ${d.taskTitle}`,
      heading: 'A task was escalated to you',
      paragraphs: [
        d.escalatedFromName
          ? `${d.escalatedFromName} did not handle it in time.`
          : 'It was not handled in time.',
      ],
      fields: fields(...taskFieldsEn(d, c), ['Reason', d.reason]),
      link: link('Open the task', d.link),
    }),
  },
  'task.expired': {
    'zh-CN': (d, c) => ({
      severity: 'critical',
      subject: `任务已过期：${d.taskTitle}`,
      heading: '任务已过期',
      paragraphs: [
        d.expiredAt
          ? `该任务已于 ${c.time(d.expiredAt)} 过期，流程将按过期规则继续。`
          : '该任务已过期，流程将按过期规则继续。',
      ],
      fields: fields(...taskFieldsZh(d, c)),
      link: link('查看任务', d.link),
    }),
    en: (d, c) => ({
      severity: 'critical',
      subject: `Expired: ${d.taskTitle}`,
      heading: 'A task expired',
      paragraphs: [
        d.expiredAt
          ? `It expired at ${c.time(d.expiredAt)}; the workflow continues with its expiry rule.`
          : 'It expired; the workflow continues with its expiry rule.',
      ],
      fields: fields(...taskFieldsEn(d, c)),
      link: link('View the task', d.link),
    }),
  },
};

// ---- alerts ---------------------------------------------------------------------------------------------

function stockoutZh(m: number | null | undefined, c: Ctx): string | undefined {
  if (m === undefined || m === null) return undefined;
  return m <= 0 ? '已无可用库存' : `约 ${c.num(Math.round(m))} 分钟`;
}

function stockoutEn(m: number | null | undefined, c: Ctx): string | undefined {
  if (m === undefined || m === null) return undefined;
  return m <= 0 ? 'no stock available now' : `about ${c.num(Math.round(m))} min`;
}

function skuLabel(d: AlertNotificationData): string {
  return d.skuName ? `${d.sku} (${d.skuName})` : d.sku;
}

/** `resolved` leaves out the stockout prediction: it no longer applies once stock recovered. */
function alertFieldsZh(d: AlertNotificationData, c: Ctx, level: AlertLevel, resolved = false): Row[] {
  return [
    ['级别', LEVEL_NAME['zh-CN'][level]],
    ['SKU', skuLabel(d)],
    ['仓库', d.warehouse],
    ['可用库存', c.num(d.available)],
    !resolved && ['预计缺货', stockoutZh(d.minutesToStockout, c)],
    d.forecastQty !== undefined && [
      d.forecastWindowMinutes ? `未来 ${d.forecastWindowMinutes} 分钟预测需求` : '预测需求',
      c.num(d.forecastQty),
    ],
    ['触发时间', opt(d.raisedAt, c.time)],
    ['告警编号', d.alertId],
  ];
}

function alertFieldsEn(d: AlertNotificationData, c: Ctx, level: AlertLevel, resolved = false): Row[] {
  return [
    ['Level', LEVEL_NAME.en[level]],
    ['SKU', skuLabel(d)],
    ['Warehouse', d.warehouse],
    ['Available', c.num(d.available)],
    !resolved && ['Stockout in', stockoutEn(d.minutesToStockout, c)],
    d.forecastQty !== undefined && [
      d.forecastWindowMinutes ? `Forecast, next ${d.forecastWindowMinutes} min` : 'Forecast demand',
      c.num(d.forecastQty),
    ],
    ['Raised', opt(d.raisedAt, c.time)],
    ['Alert id', d.alertId],
  ];
}

const ALERT_HEADLINE: Record<Locale, Record<AlertLevel, (d: AlertNotificationData) => string>> = {
  'zh-CN': {
    notice: (d) => `${d.sku} 在 ${d.warehouse} 消耗加速`,
    warning: (d) => `${d.sku} 在 ${d.warehouse} 库存不足`,
    critical: (d) => `${d.sku} 在 ${d.warehouse} 即将缺货`,
  },
  en: {
    notice: (d) => `${d.sku} selling faster at ${d.warehouse}`,
    warning: (d) => `${d.sku} running low at ${d.warehouse}`,
    critical: (d) => `${d.sku} about to run out at ${d.warehouse}`,
  },
};

const ALERT_ADVICE: Record<Locale, Record<AlertLevel, string>> = {
  'zh-CN': {
    notice: '消耗速度正在加快，请关注。',
    warning: '可用库存低于预测需求，请确认调拨或补货。',
    critical: '库存即将耗尽，请立即处理。',
  },
  en: {
    notice: 'Consumption is accelerating; keep an eye on it.',
    warning: 'Available stock is below the forecast demand; check the transfer or restock.',
    critical: 'Stock is about to run out; act now.',
  },
};

function alertRaised(level: AlertLevel): Record<Locale, (d: AlertNotificationData, c: Ctx) => MessageDoc> {
  return {
    'zh-CN': (d, c) => ({
      severity: LEVEL_SEVERITY[level],
      subject: `[${LEVEL_NAME['zh-CN'][level]}] ${ALERT_HEADLINE['zh-CN'][level](d)}`,
      heading: `${LEVEL_NAME['zh-CN'][level]}告警：${ALERT_HEADLINE['zh-CN'][level](d)}`,
      paragraphs: [ALERT_ADVICE['zh-CN'][level]],
      fields: fields(...alertFieldsZh(d, c, level)),
      link: link('查看告警', d.link),
    }),
    en: (d, c) => ({
      severity: LEVEL_SEVERITY[level],
      subject: `[${LEVEL_NAME.en[level]}] ${ALERT_HEADLINE.en[level](d)}`,
      heading: `${LEVEL_NAME.en[level]} alert: ${ALERT_HEADLINE.en[level](d)}`,
      paragraphs: [ALERT_ADVICE.en[level]],
      fields: fields(...alertFieldsEn(d, c, level)),
      link: link('View the alert', d.link),
    }),
  };
}

const alertTemplates: Pick<
  TemplateRegistry,
  'alert.notice' | 'alert.warning' | 'alert.critical' | 'alert.resolved'
> = {
  'alert.notice': alertRaised('notice'),
  'alert.warning': alertRaised('warning'),
  'alert.critical': alertRaised('critical'),
  'alert.resolved': {
    'zh-CN': (d, c) => ({
      severity: 'resolved',
      subject: `[已恢复] ${d.sku} 在 ${d.warehouse} 库存已恢复`,
      heading: `告警已恢复：${d.sku} 在 ${d.warehouse}`,
      paragraphs: [`库存已恢复，${LEVEL_NAME['zh-CN'][d.level]}级告警自动关闭。`],
      fields: fields(...alertFieldsZh(d, c, d.level, true), ['恢复时间', opt(d.resolvedAt, c.time)]),
      link: link('查看告警', d.link),
    }),
    en: (d, c) => ({
      severity: 'resolved',
      subject: `[Resolved] ${d.sku} stock recovered at ${d.warehouse}`,
      heading: `Alert resolved: ${d.sku} at ${d.warehouse}`,
      paragraphs: [`Stock recovered; the ${LEVEL_NAME.en[d.level].toLowerCase()} alert closed itself.`],
      fields: fields(...alertFieldsEn(d, c, d.level, true), ['Resolved', opt(d.resolvedAt, c.time)]),
      link: link('View the alert', d.link),
    }),
  },
};

// ---- workflows ------------------------------------------------------------------------------------------

/** An error message can carry a whole stack; the console link has the rest. */
const MAX_ERROR_CHARS = 500;

const workflowTemplates: Pick<TemplateRegistry, 'workflow.failed' | 'workflow.late'> = {
  'workflow.late': {
    'zh-CN': (d, c) => ({
      severity: 'warning',
      subject: `进度落后：${d.what}`,
      heading: '一个流程进度落后于计划',
      paragraphs: ['按当前速度无法在截止时间前完成，请加派人手或调整计划。'],
      fields: fields(
        ['内容', d.what],
        ['计划完成', c.num(d.expected)],
        ['实际完成', c.num(d.actual)],
        ['截止时间', opt(d.dueAt, c.time)],
        ['流程编号', d.workflowId],
      ),
      link: link('在控制台查看', d.link),
    }),
    en: (d, c) => ({
      severity: 'warning',
      subject: `Behind schedule: ${d.what}`,
      heading: 'A workflow is behind its schedule',
      paragraphs: ['At the current pace it will not finish by its due time: add hands or change the plan.'],
      fields: fields(
        ['What', d.what],
        ['Expected by now', c.num(d.expected)],
        ['Done', c.num(d.actual)],
        ['Due', opt(d.dueAt, c.time)],
        ['Workflow id', d.workflowId],
      ),
      link: link('Open in the console', d.link),
    }),
  },
  'workflow.failed': {
    'zh-CN': (d, c) => ({
      severity: 'critical',
      subject: `流程失败：${d.workflowType ?? d.workflowId}`,
      heading: '一个流程执行失败',
      paragraphs: ['流程已停止，需要人工处理。'],
      fields: fields(
        ['流程类型', d.workflowType],
        ['流程编号', d.workflowId],
        ['运行编号', d.runId],
        ['失败时间', opt(d.failedAt, c.time)],
        ['错误', clip(singleLine(d.error), MAX_ERROR_CHARS)],
      ),
      link: link('在控制台查看', d.link),
    }),
    en: (d, c) => ({
      severity: 'critical',
      subject: `Workflow failed: ${d.workflowType ?? d.workflowId}`,
      heading: 'A workflow failed',
      paragraphs: ['The workflow stopped and needs a person to look at it.'],
      fields: fields(
        ['Type', d.workflowType],
        ['Workflow id', d.workflowId],
        ['Run id', d.runId],
        ['Failed', opt(d.failedAt, c.time)],
        ['Error', clip(singleLine(d.error), MAX_ERROR_CHARS)],
      ),
      link: link('Open in the console', d.link),
    }),
  },
};

export const NOTIFICATION_TEMPLATES: TemplateRegistry = {
  ...taskTemplates,
  ...alertTemplates,
  ...workflowTemplates,
};

// ---- formats --------------------------------------------------------------------------------------------

const FOOTER: Record<Locale, string> = {
  'zh-CN': `此消息由 ${PRODUCT} 自动发送。`,
  en: `This message was sent automatically by ${PRODUCT}.`,
};

const ACCENT: Record<Severity, string> = {
  info: '#1f6feb',
  warning: '#d97706',
  critical: '#dc2626',
  resolved: '#16a34a',
};

function toText(doc: MessageDoc, locale: Locale): string {
  const sep = locale === 'zh-CN' ? '：' : ': ';
  const lines = [doc.heading, '', ...doc.paragraphs, ''];
  for (const [label, value] of doc.fields) lines.push(`${label}${sep}${value}`);
  if (doc.link) lines.push('', `${doc.link.label}${sep}${doc.link.url}`);
  lines.push('', `-- ${FOOTER[locale]}`);
  return lines.join('\n') + '\n';
}

function toHtml(doc: MessageDoc, locale: Locale, subject: string): string {
  const rows = doc.fields
    .map(
      ([label, value]) =>
        `<tr><th align="left" style="padding:2px 12px 2px 0;color:#555">${escapeHtml(label)}</th>` +
        `<td style="padding:2px 0">${escapeHtml(value)}</td></tr>`,
    )
    .join('\n');
  return [
    '<!doctype html>',
    `<html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family:sans-serif;font-size:14px;color:#222">',
    `<h2 style="border-left:4px solid ${ACCENT[doc.severity]};padding-left:8px">${escapeHtml(doc.heading)}</h2>`,
    ...doc.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    `<table>\n${rows}\n</table>`,
    doc.link ? `<p><a href="${escapeHtml(doc.link.url)}">${escapeHtml(doc.link.label)}</a></p>` : '',
    `<p style="color:#888;font-size:12px">${escapeHtml(FOOTER[locale])}</p>`,
    '</body></html>',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

/** A parenthesis would end a Markdown link target early; `safeUrl` already percent-encoded spaces. */
function markdownUrl(url: string): string {
  return url.replace(/\(/g, '%28').replace(/\)/g, '%29');
}

/** IM Markdown; without the heading for formats that show the title elsewhere (a Feishu card header). */
export function toMarkdown(doc: MessageDoc, locale: Locale, options: { heading?: boolean } = {}): string {
  const sep = locale === 'zh-CN' ? '：' : ': ';
  const lines = options.heading === false ? [] : [`### ${escapeMarkdown(doc.heading)}`, ''];
  for (const p of doc.paragraphs) lines.push(escapeMarkdown(p), '');
  for (const [label, value] of doc.fields)
    lines.push(`- **${escapeMarkdown(label)}**${sep}${escapeMarkdown(value)}`);
  if (doc.link) lines.push('', `[${escapeMarkdown(doc.link.label)}](${markdownUrl(doc.link.url)})`);
  return lines.join('\n');
}

/** Renders one notification for one reader. Throws only for an unknown kind (a programming error). */
export function renderNotification<K extends NotificationKind>(
  kind: K,
  data: NotificationDataByKind[K],
  options: RenderOptions,
): RenderedMessage {
  const variants = NOTIFICATION_TEMPLATES[kind] as Record<Locale, Variant<K>> | undefined;
  if (!variants) throw new Error(`unknown notification kind: ${String(kind)}`);
  const locale: Locale = options.locale === 'en' ? 'en' : 'zh-CN';
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  const ctx: Ctx = {
    locale,
    timeZone,
    time: (iso) => formatTime(iso, timeZone),
    num: (n) => formatNumber(n, locale),
  };
  const doc = variants[locale](data, ctx);
  const subject = singleLine(`[${PRODUCT}] ${doc.subject}`);
  return {
    kind,
    locale,
    severity: doc.severity,
    subject,
    text: toText(doc, locale),
    html: toHtml(doc, locale, subject),
    markdown: toMarkdown(doc, locale),
    ...(doc.link ? { link: doc.link } : {}),
    doc,
  };
}
