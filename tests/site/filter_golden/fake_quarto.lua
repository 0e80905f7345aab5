-- Runs lab.lua the way Quarto would: with a global `quarto` table (only what lab.lua uses).
-- Pandoc gives each filter file its own globals, so this wrapper loads lab.lua itself.
quarto = { project = { offset = function() return "../.." end } }
local here = PANDOC_SCRIPT_FILE:match("^(.*)/[^/]*$") or "."
return dofile(here .. "/../../../labs_wasm/filter/lab.lua")
