-- Catalog searches: free text plus a tag.
request = function()
  local path = "/simulations?query=tool" .. math.random(1, 200) .. "&tags=physics&limit=20"
  return wrk.format("GET", path)
end

-- Paced so that searches stay about a tenth of all requests (wrk is closed-loop:
-- without a pause the share would follow each service's speed, not the mix).
local pause = tonumber(os.getenv("SIM2L_LOAD_SEARCH_PAUSE_MS") or "25")
delay = function()
  return pause
end
