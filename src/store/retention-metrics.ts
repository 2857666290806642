import type pg from 'pg';
import { Counter, type Registry } from 'prom-client';

/**
 * `runbook_bot_retention_rows_pruned_total{table}`: rows the retention prune deleted, per table. Read from Postgres
 * (`retention_pruned`) at scrape time, so the web process's `/metrics` counts what every worker pruned, across
 * restarts. A scrape while Postgres is down leaves the series out rather than reporting zero.
 */
export function registerRetentionMetrics(registry: Registry, db: pg.Pool): void {
  new Counter({
    name: 'runbook_bot_retention_rows_pruned_total',
    help: 'Rows deleted by the daily retention prune (retention: in the config), per table.',
    labelNames: ['table'],
    registers: [registry],
    async collect() {
      const result = await db
        .query<{ table_name: string; rows: string }>(`select table_name, rows from retention_pruned`)
        .catch(() => undefined);
      this.reset();
      for (const r of result?.rows ?? []) this.inc({ table: r.table_name }, Number(r.rows));
    },
  });
}
