-- wrk hook used by bench/lib/wrk.ts: at the end of a run, print one line the bench parses
-- ("BENCH-WRK " + JSON) instead of scraping wrk's human summary. Latencies are in microseconds.
-- summary.errors.status counts responses outside 2xx/3xx.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH-WRK {"durationUs":%d,"requests":%d,"bytes":%d,"connectErrors":%d,"readErrors":%d,'
      .. '"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"meanUs":%.1f,"maxUs":%d,'
      .. '"p50Us":%d,"p90Us":%d,"p99Us":%d}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99)))
end
