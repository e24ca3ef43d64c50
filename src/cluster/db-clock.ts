// The database's clock, in milliseconds, as SQL: rows that several nodes
// write and read "since a time" are stamped and compared by one clock, so
// that the nodes' own clocks (which may differ by seconds) do not matter.
export const DB_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';
