// A local order book kept in sync with the depth stream (docs/websocket.md, "Keeping a
// local order book"): buffer diffs, fetch a snapshot, drop diffs it already holds, then
// apply each diff whose U follows the previous u; a gap starts again from the snapshot.

import { compare, isZero } from "./format.js";

export class LocalBook {
  constructor(fetchSnapshot, onChange) {
    this.fetchSnapshot = fetchSnapshot;
    this.onChange = onChange;
    this.reset();
  }

  reset() {
    this.bids = new Map();
    this.asks = new Map();
    this.lastUpdateId = null;
    this.buffer = [];
    this.syncing = false;
  }

  /** Start (again) from a fresh snapshot; diffs arriving meanwhile are buffered. */
  async resync() {
    this.reset();
    this.syncing = true;
    const snapshot = await this.fetchSnapshot();
    this.bids = new Map(snapshot.bids.map(([p, q]) => [p, q]));
    this.asks = new Map(snapshot.asks.map(([p, q]) => [p, q]));
    this.lastUpdateId = snapshot.last_update_id;
    this.syncing = false;
    const buffered = this.buffer;
    this.buffer = [];
    for (const diff of buffered) {
      if (diff.u <= this.lastUpdateId) continue;
      if (!this.apply(diff)) return;
    }
    this.onChange(this);
  }

  /** A depthUpdate event from the stream. */
  push(diff) {
    if (this.syncing || this.lastUpdateId === null) {
      this.buffer.push(diff);
      return;
    }
    if (diff.u <= this.lastUpdateId) return;
    if (this.apply(diff)) this.onChange(this);
  }

  apply(diff) {
    if (diff.U > this.lastUpdateId + 1) {
      this.resync();  // a diff is missing: the book can no longer be trusted
      return false;
    }
    for (const [p, q] of diff.b) isZero(q) ? this.bids.delete(p) : this.bids.set(p, q);
    for (const [p, q] of diff.a) isZero(q) ? this.asks.delete(p) : this.asks.set(p, q);
    this.lastUpdateId = diff.u;
    return true;
  }

  /** Best first: bids high to low, asks low to high. */
  levels(limit = 15) {
    const bids = [...this.bids].sort((x, y) => compare(y[0], x[0])).slice(0, limit);
    const asks = [...this.asks].sort((x, y) => compare(x[0], y[0])).slice(0, limit);
    return { bids, asks };
  }
}

/** The futures book (docs/websocket.md, futures streams): update ids skip the other
 * contracts' changes, so diffs chain by `pu` (the previous diff's `u`), not `U = u + 1`.
 * fetchSnapshot answers `{last_update_id, bids, asks}` from /fapi/v1/depth. */
export class FuturesBook extends LocalBook {
  reset() {
    super.reset();
    this.chained = false;  // no diff applied since the snapshot yet
  }

  apply(diff) {
    // The first diff after the snapshot must not skip one the snapshot lacks; each next
    // one must continue the previous.
    const gap = this.chained ? diff.pu !== this.lastUpdateId : diff.pu > this.lastUpdateId;
    if (gap) {
      this.resync();
      return false;
    }
    for (const [p, q] of diff.b) isZero(q) ? this.bids.delete(p) : this.bids.set(p, q);
    for (const [p, q] of diff.a) isZero(q) ? this.asks.delete(p) : this.asks.set(p, q);
    this.lastUpdateId = diff.u;
    this.chained = true;
    return true;
  }
}
