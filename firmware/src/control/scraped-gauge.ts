// A Prometheus gauge whose value is read at scrape time. prom-client is required here only when a
// gauge is made, i.e. by a process that serves /metrics: exporting this must not load it.

import { createRequire } from 'node:module';
import type { Gauge, Registry } from 'prom-client';

const requirePromClient = (): typeof import('prom-client') => createRequire(import.meta.url)('prom-client') as typeof import('prom-client');

/** A gauge whose value is read when Prometheus scrapes, from state the process already keeps. */
export function scrapedGauge(registry: Registry, name: string, help: string, read: (g: Gauge) => void, labelNames: string[] = []): void {
  const { Gauge: GaugeClass } = requirePromClient();
  new GaugeClass({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      read(this);
    },
  });
}
