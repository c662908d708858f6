/** Every member of an offline evaluation's per-SKU result, sorted: the report contract both test tiers check. */
export const OFFLINE_SKU_KEYS = [
  'accepted',
  'cancelledReturned',
  'demanded',
  'falseAlarm',
  'finalAvailable',
  'firstAlertAt',
  'leadMinutes',
  'lost',
  'minAvailable',
  'openingStock',
  'sku',
  'staticThreshold',
  'stockoutAt',
  'stockoutMinutes',
  'tier',
];
