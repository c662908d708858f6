/** Every label in both languages; numbers and dates through Intl in the chosen locale. */
import { createContext, useContext } from 'react';

export type Locale = 'zh-CN' | 'en';

const en = {
  appName: 'PeakStock',
  signIn: 'Sign in',
  signOut: 'Sign out',
  token: 'API token',
  tokenHelp: 'The token your administrator gave you. It stays in this browser tab only.',
  badToken: 'This token was not accepted.',
  language: 'Language',
  warRoom: 'War room',
  inbox: 'Task inbox',
  actions: 'Actions',
  workflows: 'Workflows',
  saleEvent: 'Sale event',
  wholePool: 'Whole pool (last 24 h)',
  ordersPerMinute: 'Orders / min',
  accepted: 'Accepted',
  rejected: 'Rejected',
  openAlerts: 'Open alerts',
  notice: 'notice',
  warning: 'warning',
  critical: 'critical',
  workflowsByStage: 'Workflows by stage',
  oversold: 'Oversold',
  stockedOut: 'SKUs sold out',
  live: 'live',
  available: 'Available',
  forecast: 'Forecast',
  arrivals: 'Arrivals',
  alerts: 'Alerts',
  sku: 'SKU',
  noTasks: 'Nothing waits for you.',
  due: 'Due',
  overdue: 'overdue',
  approve: 'Approve',
  reject: 'Reject',
  partialQty: 'Quantity (partial)',
  comment: 'Comment',
  decided: 'Decided',
  context: 'Details',
  restock: 'Urgent restock',
  transfer: 'Transfer between warehouses',
  warehouse: 'Warehouse',
  fromWarehouse: 'From warehouse (optional)',
  toWarehouse: 'To warehouse',
  qty: 'Quantity',
  qtyOptional: 'Quantity (optional: the forecast decides)',
  urgency: 'Urgency',
  urgent: 'urgent',
  normal: 'normal',
  reason: 'Reason',
  submit: 'Start',
  started: 'Started',
  stage: 'Stage',
  status: 'Status',
  kind: 'Kind',
  updated: 'Updated',
  loading: 'Loading…',
  none: 'None',
  plans: 'Wave plans',
  plan: 'Plan',
  window: 'Window',
  wave: 'Wave',
  orders: 'Orders',
  courier: 'Courier',
  cutoff: 'Cut-off',
  moveTo: 'Move to wave',
  movesPending: 'moves to apply with the approval',
  approvePlan: 'Approve plan',
  rejectPlan: 'Reject plan',
  late: 'late',
  noPlans: 'No wave plans yet.',
  allKinds: 'All kinds',
  allStatuses: 'All statuses',
  steps: 'Steps',
  waitingOn: 'Waiting on',
  eta: 'ETA',
  links: 'Related',
} as const;

type Labels = { [K in keyof typeof en]: string };

const zh: Labels = {
  appName: 'PeakStock 峰值库存',
  signIn: '登录',
  signOut: '退出',
  token: 'API 令牌',
  tokenHelp: '管理员发给您的令牌，只保存在当前浏览器标签页中。',
  badToken: '令牌无效。',
  language: '语言',
  warRoom: '作战室',
  inbox: '待办任务',
  actions: '操作',
  workflows: '流程',
  saleEvent: '大促活动',
  wholePool: '全部库存（近 24 小时）',
  ordersPerMinute: '每分钟订单',
  accepted: '已接单',
  rejected: '已拒单',
  openAlerts: '未关闭预警',
  notice: '提示',
  warning: '警告',
  critical: '严重',
  workflowsByStage: '流程阶段',
  oversold: '超卖',
  stockedOut: '售罄 SKU',
  live: '实时',
  available: '可售',
  forecast: '预测',
  arrivals: '到货',
  alerts: '预警',
  sku: 'SKU',
  noTasks: '暂无待办。',
  due: '截止',
  overdue: '已超时',
  approve: '批准',
  reject: '拒绝',
  partialQty: '数量（部分批准）',
  comment: '备注',
  decided: '已处理',
  context: '详情',
  restock: '紧急补货',
  transfer: '仓间调拨',
  warehouse: '仓库',
  fromWarehouse: '调出仓（可选）',
  toWarehouse: '调入仓',
  qty: '数量',
  qtyOptional: '数量（可选：按预测计算）',
  urgency: '紧急程度',
  urgent: '紧急',
  normal: '普通',
  reason: '原因',
  submit: '发起',
  started: '已发起',
  stage: '阶段',
  status: '状态',
  kind: '类型',
  updated: '更新时间',
  loading: '加载中…',
  none: '无',
  plans: '拣货波次',
  plan: '计划',
  window: '时间窗',
  wave: '波次',
  orders: '订单',
  courier: '快递',
  cutoff: '截单时间',
  moveTo: '移至波次',
  movesPending: '项调整将随批准一起提交',
  approvePlan: '批准计划',
  rejectPlan: '驳回计划',
  late: '延误',
  noPlans: '暂无波次计划。',
  allKinds: '全部类型',
  allStatuses: '全部状态',
  steps: '步骤',
  waitingOn: '等待',
  eta: '预计完成',
  links: '关联流程',
};

export const LABELS: Record<Locale, Labels> = { en, 'zh-CN': zh };
export type LabelKey = keyof typeof en;

export interface I18n {
  locale: Locale;
  t: (key: LabelKey) => string;
  num: (n: number, digits?: number) => string;
  time: (iso: string) => string;
  /** Hours and minutes only: chart axes. */
  clock: (ms: number) => string;
  setLocale: (l: Locale) => void;
}

export function makeI18n(locale: Locale, setLocale: (l: Locale) => void): I18n {
  const nf = new Map<number, Intl.NumberFormat>();
  const df = new Intl.DateTimeFormat(locale, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
  const cf = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', hour12: false });
  return {
    locale,
    setLocale,
    t: (key) => LABELS[locale][key],
    num: (n, digits = 0) => {
      let f = nf.get(digits);
      if (!f) nf.set(digits, (f = new Intl.NumberFormat(locale, { maximumFractionDigits: digits })));
      return f.format(n);
    },
    time: (iso) => df.format(new Date(iso)),
    clock: (ms) => cf.format(new Date(ms)),
  };
}

export const I18nContext = createContext<I18n>(makeI18n('zh-CN', () => undefined));
export const useI18n = () => useContext(I18nContext);
