-- wrk script: POST an invocation envelope the way the Functions host does
-- (chunked body, the three host headers, keep-alive). ENVELOPE names a file
-- holding the envelope JSON, FN_PATH the function path (/broadcast).
local f = assert(io.open(os.getenv("ENVELOPE"), "rb"))
local body = f:read("*a")
f:close()
local path = os.getenv("FN_PATH") or "/broadcast"
local raw = "POST " .. path .. " HTTP/1.1\r\n" ..
  "Host: 127.0.0.1\r\n" ..
  "User-Agent: Azure-Functions-Host/4.1036.1.23224\r\n" ..
  "X-Azure-Functions-HostVersion: 4.1036.1.23224\r\n" ..
  "X-Azure-Functions-InvocationId: a7d4b0c2-1e9f-4d3a-8b6c-5f2e7a9d0c14\r\n" ..
  "Content-Type: application/json; charset=utf-8\r\n" ..
  "Transfer-Encoding: chunked\r\n\r\n" ..
  string.format("%x\r\n", #body) .. body .. "\r\n0\r\n\r\n"

request = function()
  return raw
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"rps":%.1f,"errors":%d,' ..
    '"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration,
    summary.requests / (summary.duration / 1e6),
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
