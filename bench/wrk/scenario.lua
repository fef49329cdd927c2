-- One benchmark scenario for wrk: counts every response status and prints a JSON summary.
--
-- BENCH_REQUESTS names a file of prepared requests, one per line, tab-separated:
-- METHOD, path, bearer token ("-" for none) and JSON body ("-" for none). Each wrk thread
-- takes every BENCH_THREADS-th line and sends them in order, each once; when a thread runs
-- out it starts again from its first line and counts the repeats as "wrapped" (a repeated
-- registration is a 409, a repeated cancel is an idempotent 200). Without BENCH_REQUESTS
-- every request is the GET of the command line's URL.

local requests_file = os.getenv("BENCH_REQUESTS")
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  wrapped = 0
  prepared = {}
  position = 0
  if requests_file == nil or requests_file == "" then
    return
  end
  local number = 0
  for line in io.lines(requests_file) do
    if number % thread_count == thread_id then
      local method, path, token, body = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t(.*)$")
      local headers = {}
      if token ~= "-" then
        headers["Authorization"] = "Bearer " .. token
      end
      if body == "-" then
        body = nil
      else
        headers["Content-Type"] = "application/json"
      end
      table.insert(prepared, wrk.format(method, path, headers, body))
    end
    number = number + 1
  end
end

function request()
  if #prepared == 0 then
    return wrk.request()
  end
  position = position + 1
  if position > #prepared then
    position = 1
  end
  return prepared[position]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if #prepared > 0 then
    sent = (sent or 0) + 1
    if sent > #prepared then
      wrapped = wrapped + 1
    end
  end
end

local function json_object(values)
  local parts = {}
  for key, value in pairs(values) do
    table.insert(parts, string.format("%q: %d", key, value))
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
  local totals, repeats = {}, 0
  for _, thread in ipairs(threads) do
    for key, value in pairs(thread:get("statuses")) do
      totals[key] = (totals[key] or 0) + value
    end
    repeats = repeats + (thread:get("wrapped") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "statuses": %s, "wrapped": %d, '
    .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, "status_errors": %d, '
    .. '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes, json_object(totals), repeats,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max))
end
