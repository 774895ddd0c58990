-- Paced (rate-limited) load for wrk: each connection waits a random,
-- exponentially distributed pause before each request, so C connections
-- with a mean pause of M ms offer about C * 1000 / (M + latency) requests
-- per second, close to a Poisson stream. bench/run.sh picks M for a target
-- rate and corrects it once after a short calibration run.
--
--   wrk -c C ... -s bench/paced.lua URL -- MEAN_MS
--
-- wrk measures each request from the moment it is written, so the pause
-- is not counted in the latency; a stalled server still holds its
-- connections back (closed loop), which understates queueing at overload:
-- use it well below the peak rate, as run.sh does.

local mean_ms = 10
local threads = 0

-- Runs in the setup environment: give each thread its own random stream.
function setup(thread)
	threads = threads + 1
	thread:set("seed", os.time() * 100 + threads)
end

function init(args)
	mean_ms = tonumber(args[1]) or mean_ms
	math.randomseed(seed or os.time())
end

function delay()
	-- wrk truncates to whole milliseconds; + 0.5 makes that rounding,
	-- which keeps the mean.
	return -math.log(1 - math.random()) * mean_ms + 0.5
end
