/**
 * `npm run cli -- <command>`: operator commands against DATABASE_URL or (when unset) the embedded PostgreSQL.
 *   ledger verify       prove that every stock level equals the sum of its ledger entries (exit 1 if not)
 *   import <file.csv>   regions, warehouses, SKUs/kits or opening stock from CSV, all or nothing (docs/import.md)
 */
import { createDataSource, verifyLedger } from '@peakstock/persistence';
import { commandDatabase } from './database-url';

const USAGE =
  'usage: npm run cli -- ledger verify | import <file.csv> [--type regions|warehouses|skus|stock] [--dry-run]';

async function main(argv: string[]): Promise<number> {
  const [area, command] = argv;
  if (area === 'import') return (await import('./import')).runImport(argv.slice(1));
  if (area !== 'ledger' || command !== 'verify') {
    console.error(USAGE);
    return 2;
  }
  const { url, stop } = await commandDatabase();
  const ds = createDataSource(url, 1);
  try {
    await ds.initialize();
    const { positions, mismatches } = await verifyLedger(ds);
    if (mismatches.length === 0) {
      console.log(`ledger verified: all ${positions} stock positions equal the sum of their ledger entries`);
      return 0;
    }
    console.error(
      `ledger MISMATCH at ${mismatches.length} of ${positions} positions (onHand, reserved, locked, inbound, onOrder):`,
    );
    for (const m of mismatches)
      console.error(`  ${m.warehouse}/${m.sku}: levels ${m.levels.join(',')} ledger ${m.ledger.join(',')}`);
    return 1;
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await stop?.();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[cli] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
