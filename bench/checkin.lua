-- POST /v1/checkins for wrk (bench/run.sh): scans tickets from a file,
-- each request with a nonce of its own, and counts the answers.
--
--   CHECKIN_TOKENS  file of ticket tokens, one a line; the last
--                   CHECKIN_HOT (default 64) are the "hot" tickets
--   CHECKIN_STATE   folder kept across runs: "next" (where the next run
--                   starts in the token file, and its nonce prefix),
--                   "tally" (one line per run: sent answered 201 409
--                   200 other) and ids-* (the checkin_id of every 201)
--   CHECKIN_EVENT, CHECKIN_AUTH (an access token), CHECKIN_THREADS (-t)
--   CHECKIN_PACED=1 paces like bench/paced.lua: args[1] = mean pause, ms
--
-- Thread t of T sends its k-th scan for token offset + k * T + t, so the
-- threads and the runs (offset) take fresh tickets until the file runs
-- out, then scan them again (409). Every 16th scan is one of the hot
-- tickets instead, which every thread scans again and again at the same
-- time: exactly one of those may answer 201.

local threads = {}
local nthreads = 0

function setup(thread)
	nthreads = nthreads + 1
	thread:set("tid", nthreads)
	thread:set("seed", os.time() * 100 + nthreads)
	table.insert(threads, thread)
end

local function read_next(st)
	local f = io.open(st .. "/next")
	local v = 0
	if f then
		v = tonumber(f:read("*l")) or 0
		f:close()
	end
	return v
end

function init(args)
	mean_ms = tonumber(args[1]) or 10
	math.randomseed(seed or os.time())
	local st = os.getenv("CHECKIN_STATE")
	offset = read_next(st)
	tokens = {}
	for line in io.lines(os.getenv("CHECKIN_TOKENS")) do
		tokens[#tokens + 1] = line
	end
	hot = tonumber(os.getenv("CHECKIN_HOT") or "64")
	fresh = #tokens - hot
	nt = tonumber(os.getenv("CHECKIN_THREADS") or "1")
	event = os.getenv("CHECKIN_EVENT")
	headers = {
		["Content-Type"] = "application/json",
		["Authorization"] = "Bearer " .. os.getenv("CHECKIN_AUTH"),
	}
	ids = io.open(st .. "/ids-" .. offset .. "-" .. tid, "w")
	ids:setvbuf("line")
	k, sent, got, c201, c409, c200, cother = 0, 0, 0, 0, 0, 0, 0
end

function request()
	local t
	if k % 16 == 15 then
		t = tokens[fresh + (math.floor(k / 16) % hot) + 1]
	else
		t = tokens[((offset + k * nt + tid - 1) % fresh) + 1]
	end
	k = k + 1
	sent = sent + 1
	local body = '{"token":"' .. t .. '","event_id":"' .. event ..
	    '","nonce":"wrk.' .. offset .. '.' .. tid .. '.' .. k ..
	    '","device_id":"wrk-' .. tid .. '"}'
	return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
	got = got + 1
	if status == 201 then
		c201 = c201 + 1
		ids:write((body:match('"checkin_id":%s*"([%x-]+)"') or "?"), "\n")
	elseif status == 409 then
		c409 = c409 + 1
	elseif status == 200 then
		c200 = c200 + 1
	else
		cother = cother + 1
	end
end

if os.getenv("CHECKIN_PACED") == "1" then
	function delay()
		return -math.log(1 - math.random()) * mean_ms + 0.5
	end
end

function done(summary, latency, requests)
	local st = os.getenv("CHECKIN_STATE")
	local s = { 0, 0, 0, 0, 0, 0 }
	local maxk = 0
	for _, t in ipairs(threads) do
		local v = { t:get("sent"), t:get("got"), t:get("c201"),
		    t:get("c409"), t:get("c200"), t:get("cother") }
		for i = 1, 6 do s[i] = s[i] + (v[i] or 0) end
		maxk = math.max(maxk, t:get("k") or 0)
	end
	print(string.format("checkin: sent %d answered %d: 201 %d, 409 %d, " ..
	    "200 %d, other %d", s[1], s[2], s[3], s[4], s[5], s[6]))
	local f = io.open(st .. "/tally", "a")
	f:write(table.concat(s, " "), "\n")
	f:close()
	local offset = read_next(st)
	f = io.open(st .. "/next", "w")
	f:write(offset + (maxk + 1) * #threads, "\n")
	f:close()
end
