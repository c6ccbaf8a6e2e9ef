// One event per burst of motion in a zone: a zone raises an event when motion appears there after
// it has been quiet for the cool-down; motion that goes on (someone walking about) keeps it
// "active" and raises nothing more. Time is the frame's own, so a replay behaves as live.

export class MotionCooldown {
  private readonly lastSeen = new Map<string, number>();

  constructor(private readonly cooldownMs: number) {}

  /** Motion seen in `zone` at `ts`: true when it starts a new event. */
  seen(zone: string, ts: number): boolean {
    const last = this.lastSeen.get(zone);
    this.lastSeen.set(zone, ts);
    return last === undefined || ts - last >= this.cooldownMs;
  }

  /** Could any motion at `ts` start an event? (The worker then encodes the images for it.) */
  open(zones: readonly string[], ts: number): boolean {
    return zones.some((z) => {
      const last = this.lastSeen.get(z);
      return last === undefined || ts - last >= this.cooldownMs;
    });
  }
}
