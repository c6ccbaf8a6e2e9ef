// The list queries' one shape: a fixed SELECT, the filters a caller gave joined into one WHERE,
// a fixed order and a LIMIT. Each combination of filters is prepared once and then reused,
// rather than compiled again on every request.

import type Database from 'better-sqlite3';
import type { HubDb } from './hub-db.ts';

type Value = string | number;
/** A condition with one `?` and its value; an undefined value leaves the condition out. */
export type Filter = readonly [sql: string, value: Value | undefined];

export class FilteredQuery<Row> {
  private readonly prepared = new Map<string, Database.Statement<Value[], Row>>();

  constructor(
    private readonly db: HubDb,
    /** e.g. `SELECT * FROM alerts` */
    private readonly select: string,
    /** e.g. `ORDER BY id DESC` */
    private readonly order: string,
  ) {}

  all(filters: readonly Filter[], limit: number): Row[] {
    const where: string[] = [];
    const args: Value[] = [];
    for (const [sql, value] of filters) {
      if (value === undefined) continue;
      where.push(sql);
      args.push(value);
    }
    const sql = `${this.select}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ${this.order} LIMIT ?`;
    let statement = this.prepared.get(sql);
    if (!statement) {
      statement = this.db.prepare<Value[], Row>(sql);
      this.prepared.set(sql, statement);
    }
    return statement.all(...args, limit);
  }
}
