-- Cache traffic: 8 reads of seeded keys for every write of a new key.
local counter = 0
local seeded = tonumber(os.getenv("SIM2L_LOAD_SEEDED") or "1000")

local function headers(extra)
  local result = {}
  for name, value in pairs(wrk.headers) do result[name] = value end
  for name, value in pairs(extra or {}) do result[name] = value end
  return result
end

request = function()
  counter = counter + 1
  if counter % 9 == 0 then
    local key = "load/w/" .. math.random(1, 1000000)
    local body = '{"cache_key":"' .. key .. '","simulation_id":1,"simulation_name":"load_sim",'
      .. '"simulation_version":"1.0.0","execution_id":"exec-w","squid_id":"load_sim/1.0.0/w",'
      .. '"input_hash":"h","run_db_path":"/runs/w.db","ttl_hours":1}'
    return wrk.format("POST", "/cache", headers({["Content-Type"] = "application/json"}), body)
  end
  return wrk.format("GET", "/cache/load/" .. math.random(1, seeded), headers())
end
