-- wrk script of `make bench`'s HTTP load row (bench/load.py): a mix of list, detail and create
-- requests, each user with their own real Cognito bearer token.
-- Data file (the script's argument): one line per user, "<id token> <noteId> <noteId> ...".
-- Of every 10 requests: 6 lists (GET /api/v1/notes?pageSize=20), 3 details of one of the user's
-- notes, 1 create (POST /api/v1/notes). done() prints one JSON line after "@@wrk@@".

local users = {}
local counter = 0
local threads = {}
non2xx = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("offset", #threads * 7919)
end

function init(args)
  for line in io.lines(args[1]) do
    local token, rest = line:match("^(%S+)%s*(.*)$")
    local notes = {}
    for note_id in rest:gmatch("%S+") do
      table.insert(notes, note_id)
    end
    table.insert(users, { token = token, notes = notes })
  end
  counter = offset or 0
end

function request()
  counter = counter + 1
  local user = users[(counter % #users) + 1]
  local headers = { ["Authorization"] = "Bearer " .. user.token, ["Accept"] = "application/json" }
  local kind = counter % 10
  if kind < 6 then
    return wrk.format("GET", "/api/v1/notes?pageSize=20", headers)
  elseif kind < 9 then
    local note_id = user.notes[(counter % #user.notes) + 1]
    return wrk.format("GET", "/api/v1/notes/" .. note_id, headers)
  end
  headers["Content-Type"] = "application/json"
  local body = string.format('{"headline":"Load note %d","text":"Written by wrk during make bench."}', counter)
  return wrk.format("POST", "/api/v1/notes", headers, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local answered_non2xx = 0
  for _, thread in ipairs(threads) do
    answered_non2xx = answered_non2xx + (thread:get("non2xx") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    '@@wrk@@{"requests":%d,"durationMicroseconds":%d,"non2xx":%d,"connectErrors":%d,"readErrors":%d,'
      .. '"writeErrors":%d,"timeouts":%d,"p50Microseconds":%d,"p99Microseconds":%d,"meanMicroseconds":%.1f}\n',
    summary.requests, summary.duration, answered_non2xx, errors.connect, errors.read, errors.write,
    errors.timeout, latency:percentile(50), latency:percentile(99), latency.mean
  ))
end
