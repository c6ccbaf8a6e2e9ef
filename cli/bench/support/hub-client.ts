// The hub's HTTP API as the soak bench reads it: one admin login (renewed when the hub answers 401,
// e.g. after a restart), the open and closed alerts, and every reading of a sensor, page by page.
// While the hub is down every call rejects; callers poll and try again.

export interface AlertView {
  id: number;
  nodeId: string;
  level: string;
  state: 'open' | 'acknowledged' | 'resolved';
  requestId: number | null;
  receivedAt: string | null;
  raisedAt: string;
}

export interface ReadingView {
  metric: string;
  value: number | null;
  raw?: unknown;
  time: string;
}

export class HubClient {
  private token: string | null = null;

  constructor(
    readonly url: string,
    private readonly email: string,
    private readonly password: string,
  ) {}

  async login(): Promise<string> {
    const res = await fetch(`${this.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: this.email, password: this.password }) });
    if (res.status !== 200) throw new Error(`login refused: ${res.status} ${await res.text()}`);
    this.token = ((await res.json()) as { accessToken: string }).accessToken;
    return this.token;
  }

  /** A JSON call with the admin's token; status and body, a 401 answered by logging in again once. */
  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
    for (let attempt = 0; ; attempt++) {
      const token = this.token ?? (await this.login());
      const res = await fetch(`${this.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status === 401 && attempt === 0) {
        this.token = null;
        continue;
      }
      return { status: res.status, body: (await res.json()) as T };
    }
  }

  /** The newest alerts (the bench raises a few dozen at most). */
  async alerts(): Promise<AlertView[]> {
    const r = await this.call<{ items: AlertView[] }>('GET', '/api/v1/alerts?limit=500');
    if (r.status !== 200) throw new Error(`alerts: ${r.status}`);
    return r.body.items;
  }

  /** Every reading of one sensor (all metrics), oldest last; [] when the hub never heard of it. */
  async readings(sensorId: string): Promise<ReadingView[]> {
    const all: ReadingView[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/api/v1/sensors/${encodeURIComponent(sensorId)}/readings?limit=500${cursor ? `&cursor=${cursor}` : ''}`;
      const r = await this.call<{ items: ReadingView[]; nextCursor: string | null }>('GET', q);
      if (r.status === 404) return [];
      if (r.status !== 200) throw new Error(`readings of ${sensorId}: ${r.status} ${JSON.stringify(r.body)}`);
      all.push(...r.body.items);
      cursor = r.body.nextCursor;
    } while (cursor);
    return all;
  }

  /** Ids of every sensor the hub has a reading from. */
  async sensorIds(): Promise<string[]> {
    const r = await this.call<{ items: Array<{ id: string }> }>('GET', '/api/v1/sensors');
    if (r.status !== 200) throw new Error(`sensors: ${r.status}`);
    return r.body.items.map((s) => s.id);
  }
}
