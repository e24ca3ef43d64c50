// Commits writes gathered by a store (api/api-store.ts, history/history-store.ts)
// in one transaction; should one of them fail, each is retried in its own
// transaction so that one bad write does not take the others with it.
import type Database from 'better-sqlite3';

export function commitGathered(db: Database.Database, writes: readonly (() => void)[], onError: (err: unknown) => void): void {
  try {
    db.transaction(() => {
      for (const write of writes) write();
    })();
  } catch {
    for (const write of writes) {
      try {
        db.transaction(write)();
      } catch (err) {
        onError(err);
      }
    }
  }
}
