// Undoing what a test started, newest first (an uplink stops before its database closes), even
// when the test failed.

export type Cleanup = () => unknown;

export function teardown(t: { after(fn: () => Promise<void>): void }): (fn: Cleanup) => void {
  const steps: Cleanup[] = [];
  t.after(async () => {
    for (const step of steps.reverse()) await step();
  });
  return (fn) => void steps.push(fn);
}
