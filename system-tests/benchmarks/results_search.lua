-- Results searches: two range filters over seeded runs.
local function headers()
  local result = {["Content-Type"] = "application/json"}
  for name, value in pairs(wrk.headers) do result[name] = value end
  return result
end

request = function()
  local low = math.random(0, 150)
  local body = '{"simulation_name":"load_sim","input_filters":{"temperature":{"between":['
    .. low .. ',' .. (low + 50) .. ']}},"output_filters":{"max_stress":{"gt":0}},"limit":20}'
  return wrk.format("POST", "/results/search", headers(), body)
end

-- Paced so that searches stay about a tenth of all requests (wrk is closed-loop:
-- without a pause the share would follow each service's speed, not the mix).
local pause = tonumber(os.getenv("SIM2L_LOAD_SEARCH_PAUSE_MS") or "25")
delay = function()
  return pause
end
