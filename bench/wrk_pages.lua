-- Every request asks for another page of the list (an offset drawn at random below
-- BENCH_MAX_OFFSET), so that no kept page can answer it: what a client paging through the
-- whole catalog costs. Reports like wrk_report.lua (bench/scaffold.py reads it).
dofile(os.getenv("BENCH_WRK_REPORT"))
local highest = tonumber(os.getenv("BENCH_MAX_OFFSET") or "1000")

init = function(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

request = function()
  return wrk.format(nil, wrk.path .. "&offset=" .. math.random(0, highest))
end
