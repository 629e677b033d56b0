-- Printed by wrk at the end of a run, in a form bench/run.py reads (one "BENCH key value" a line).
done = function(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  io.write(string.format("BENCH rps %.2f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("BENCH p50_us %d\n", latency:percentile(50)))
  io.write(string.format("BENCH p95_us %d\n", latency:percentile(95)))
  io.write(string.format("BENCH requests %d\n", summary.requests))
  io.write(string.format("BENCH errors %d\n", errors))
end
