// What a store hears while one of its snapshots is on its way (events, answers to actions): the
// snapshot can be older than them, so each is re-applied on top of it once it lands. One list per
// load in flight; FleetStore and AlertBook keep theirs here.

/** @template T */
export class LoadReplay {
  /** @type {Set<T[]>} */
  #open = new Set();

  /** A load starts: the list it will replay, filled until end(). @returns {T[]} */
  begin() {
    /** @type {T[]} */
    const heard = [];
    this.#open.add(heard);
    return heard;
  }

  /** The load's answer came (or failed): its list stops filling. @param {T[]} heard */
  end(heard) {
    this.#open.delete(heard);
  }

  /** Something heard now: every load in flight replays it. @param {T} item */
  record(item) {
    for (const heard of this.#open) heard.push(item);
  }
}
