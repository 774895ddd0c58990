-- Registrations by staff (POST /v1/events/{id}/registrations), each of a
-- new person given inline: a checksummed national id made of the start
-- second of this wrk run, the thread and a counter (so a warm-up and the
-- run after it, seconds apart, never repeat a person), a phone, consent.
--
--   wrk ... -H 'Authorization: Bearer ...' -s bench/register.lua \
--       http://host/v1/events/ID/registrations [-- debug]
--
-- With "debug", the first answer that is not a 201 goes to stderr.

local threads = 0
local n = 0
local headers = {}

function setup(thread)
	threads = threads + 1
	thread:set("tid", threads)
	thread:set("stamp", os.time() % 1000)
end

-- 12 digits: 1, the run's second (3), the thread (1), a counter (7);
-- then the check digit (weights 13..2, mod 11), as api/pii.c checks it.
local function national_id(k)
	local s = string.format("1%03d%01d%07d", stamp, (tid or 1) % 10,
	    k % 10000000)
	local sum = 0
	for i = 1, 12 do
		sum = sum + tonumber(s:sub(i, i)) * (14 - i)
	end
	return s .. tostring((11 - sum % 11) % 10)
end

function init(args)
	-- wrk.format's headers replace wrk's own (-H): keep them.
	for k, v in pairs(wrk.headers) do
		headers[k] = v
	end
	headers["Content-Type"] = "application/json"
	if args[1] == "debug" then
		local shown = false
		response = function(status, headers, body)
			if status ~= 201 and not shown then
				shown = true
				io.stderr:write("register.lua: " .. status .. " " ..
				    body .. "\n")
			end
		end
	end
end

function request()
	n = n + 1
	local body = string.format('{"participant":{"title_th":"นาย",' ..
	    '"first_name":"ทดสอบ","last_name":"ลงทะเบียน %d",' ..
	    '"national_id":"%s","phone":"08%08d","province_code":"52",' ..
	    '"target_group":"informal_worker",' ..
	    '"pdpa_consent_at":"2026-01-01T09:00:00+07:00",' ..
	    '"pdpa_consent_version":"2562-1"}}', n, national_id(n),
	    ((tid or 1) * 10000000 + n) % 100000000)
	return wrk.format("POST", nil, headers, body)
end
