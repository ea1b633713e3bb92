import { Metrics } from "../../src/admin/metrics.ts";
import { assertEquals } from "../assert.ts";

Deno.test("Metrics renders counters with sorted, escaped labels", () => {
  const m = new Metrics();
  m.inc("edge_requests_total", "Requests by verb.", { verb: "list", code: "200" });
  m.inc("edge_requests_total", "Requests by verb.", { code: "200", verb: "list" }, 2);
  m.inc("edge_requests_total", "Requests by verb.", { verb: "watch", code: "200" });
  m.inc("edge_errors_total", "Errors.");
  m.inc("edge_weird_total", "Escaping.", { v: 'a\\b"c\nd' });
  assertEquals(
    m.render(),
    [
      "# HELP edge_requests_total Requests by verb.",
      "# TYPE edge_requests_total counter",
      'edge_requests_total{code="200",verb="list"} 3',
      'edge_requests_total{code="200",verb="watch"} 1',
      "# HELP edge_errors_total Errors.",
      "# TYPE edge_errors_total counter",
      "edge_errors_total 1",
      "# HELP edge_weird_total Escaping.",
      "# TYPE edge_weird_total counter",
      'edge_weird_total{v="a\\\\b\\"c\\nd"} 1',
      "",
    ].join("\n"),
  );
  assertEquals(m.get("edge_requests_total", { verb: "list", code: "200" }), 3);
  assertEquals(m.get("edge_requests_total", { verb: "get", code: "200" }), 0);
  assertEquals(m.get("edge_missing"), 0);
});

Deno.test("Metrics renders gauges that are set and added to", () => {
  const m = new Metrics();
  m.set("edge_upstream_up", "1 when the server answers.", { server: "https://a:6443" }, 1);
  m.set("edge_upstream_up", "1 when the server answers.", { server: "https://a:6443" }, 0);
  m.add("edge_watches", "Open watches.", {}, 3);
  m.add("edge_watches", "Open watches.", {}, -1);
  m.set("edge_cache_age_seconds", "Age.", {}, Infinity);
  m.set("edge_ratio", "Ratio.", { a: "x" }, NaN);
  m.set("edge_neg", "Neg.", {}, -Infinity);
  assertEquals(
    m.render(),
    [
      "# HELP edge_upstream_up 1 when the server answers.",
      "# TYPE edge_upstream_up gauge",
      'edge_upstream_up{server="https://a:6443"} 0',
      "# HELP edge_watches Open watches.",
      "# TYPE edge_watches gauge",
      "edge_watches 2",
      "# HELP edge_cache_age_seconds Age.",
      "# TYPE edge_cache_age_seconds gauge",
      "edge_cache_age_seconds +Inf",
      "# HELP edge_ratio Ratio.",
      "# TYPE edge_ratio gauge",
      'edge_ratio{a="x"} NaN',
      "# HELP edge_neg Neg.",
      "# TYPE edge_neg gauge",
      "edge_neg -Inf",
      "",
    ].join("\n"),
  );
});

Deno.test("Metrics renders histograms with every bucket, cumulative and in le order", () => {
  const m = new Metrics();
  const buckets = [0.1, 1, 10];
  m.observe("edge_latency_seconds", "Latency.", { verb: "list" }, 0.5, buckets);
  m.observe("edge_latency_seconds", "Latency.", { verb: "list" }, 0.05, buckets);
  m.observe("edge_latency_seconds", "Latency.", { verb: "list" }, 20, buckets);
  m.observe("edge_latency_seconds", "Latency.", {}, 1, buckets);
  assertEquals(
    m.render(),
    [
      "# HELP edge_latency_seconds Latency.",
      "# TYPE edge_latency_seconds histogram",
      'edge_latency_seconds_bucket{verb="list",le="0.1"} 1',
      'edge_latency_seconds_bucket{verb="list",le="1"} 2',
      'edge_latency_seconds_bucket{verb="list",le="10"} 2',
      'edge_latency_seconds_bucket{verb="list",le="+Inf"} 3',
      'edge_latency_seconds_sum{verb="list"} 20.55',
      'edge_latency_seconds_count{verb="list"} 3',
      'edge_latency_seconds_bucket{le="0.1"} 0',
      'edge_latency_seconds_bucket{le="1"} 1',
      'edge_latency_seconds_bucket{le="10"} 1',
      'edge_latency_seconds_bucket{le="+Inf"} 1',
      "edge_latency_seconds_sum 1",
      "edge_latency_seconds_count 1",
      "",
    ].join("\n"),
  );
});

Deno.test("Metrics histograms use the default buckets", () => {
  const m = new Metrics();
  m.observe("edge_h", "H.", {}, 0.2);
  const les = [...m.render().matchAll(/le="([^"]+)"/g)].map((x) => x[1]);
  assertEquals(les, ["0.001", "0.005", "0.025", "0.1", "0.5", "1", "2.5", "10", "+Inf"]);
});

Deno.test("Metrics renders nothing before anything is recorded", () => {
  assertEquals(new Metrics().render(), "");
});

Deno.test("Metrics runs onRender collectors before rendering", () => {
  const m = new Metrics();
  let n = 0;
  m.onRender(() => m.set("edge_cache_objects", "Objects.", {}, ++n));
  assertEquals(m.render().includes("edge_cache_objects 1\n"), true);
  assertEquals(m.render().includes("edge_cache_objects 2\n"), true);
});
