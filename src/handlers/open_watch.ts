/**
 * @module `openWatch()`: counts a watch in `edge_proxy_open_watches` until it ends, whichever
 * path serves it (filtered, piped natively, or from the cache).
 */
import type { Metrics } from "../admin/metrics.ts";

/** Counts one open watch; the returned function uncounts it, once however often it is called. */
export function openWatch(metrics: Metrics): () => void {
  metrics.add("edge_proxy_open_watches", "Watches open", {}, 1);
  let open = true;
  return () => {
    if (!open) return;
    open = false;
    metrics.add("edge_proxy_open_watches", "Watches open", {}, -1);
  };
}
