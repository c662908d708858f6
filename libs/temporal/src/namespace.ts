/**
 * Namespace setup that must hold at every start: retention, and the project's search attributes. The dev
 * server's --search-attribute flag only applies when a namespace is first created, so this goes through the
 * operator API and adds only what is missing.
 */
import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { searchAttributeRegistrations } from '@peakstock/contracts';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

export const RETENTION_DAYS = 7;

export async function ensureNamespace(
  connection: Connection,
  namespace: string,
  opts: { manageRetention: boolean },
): Promise<{ added: string[] }> {
  if (opts.manageRetention) {
    await connection.workflowService.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: msToTs(`${RETENTION_DAYS} days`) },
    });
  }
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = searchAttributeRegistrations.filter((a) => !known.has(a.name));
  if (missing.length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((a) => [
          a.name,
          a.type === 'KeywordList'
            ? IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST
            : IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        ]),
      ),
    });
  }
  return { added: missing.map((a) => a.name) };
}
