// Test helpers shared across the packages (imported by name, never by a relative path into another
// package's tests): waiting for a condition that only an event can make true.

export { EventWaiter } from './event-waiter.ts';
export { waitUntil, type Trigger } from './wait-until.ts';
