--[[ Resolve Quarto-style section references with the build's crossref index.

  @sec-x          -> [Section 9.2](...)   ("Chapter 9" when sec-x is a chapter's heading)
  [@sec-x]        -> [Section 9.2](...)
  [-@sec-x]       -> [9.2](...)
  [see @sec-x, p] -> see [Section 9.2](...), p

Metadata: crossref-index (path of _build/crossref.json), site-root (page -> site root),
page-path (this page, relative to the site root). Only citations whose ids all start with
"sec-" are touched; code is never parsed as citations by Pandoc, so it is left alone.
An unknown id is fatal: the build has already checked every id with file and line, so
reaching it here means the index and the chapter disagree.
]]
PANDOC_VERSION:must_be_at_least '3.1.1'

local index = nil
local site_root = ""
local page_path = ""

local function read_meta(meta)
  local path = meta["crossref-index"] and pandoc.utils.stringify(meta["crossref-index"])
  if path then
    local fh = io.open(path, "r")
    if not fh then error("crossref index not found: " .. path) end
    index = pandoc.json.decode(fh:read("a"), false).sections
    fh:close()
  end
  site_root = meta["site-root"] and pandoc.utils.stringify(meta["site-root"]) or ""
  page_path = meta["page-path"] and pandoc.utils.stringify(meta["page-path"]) or ""
end

local function link_for(id, text)
  local entry = index[id]
  local page, anchor = entry.href:match("^([^#]*)#(.*)$")
  local href = (page == page_path) and ("#" .. anchor) or (site_root .. entry.href)
  return pandoc.Link(text, href, "", pandoc.Attr("", {"quarto-xref"}))
end

local function Cite(cite)
  if not index then return nil end
  for _, c in ipairs(cite.citations) do
    if not c.id:match("^sec%-") then return nil end
  end
  local out = pandoc.Inlines({})
  for i, c in ipairs(cite.citations) do
    local entry = index[c.id]
    if not entry then
      error("unknown cross-reference @" .. c.id .. " in " .. page_path)
    end
    if i > 1 then out:extend({pandoc.Str(","), pandoc.Space()}) end
    if #c.prefix > 0 then
      out:extend(c.prefix)
      out:insert(pandoc.Space())
    end
    local text = (c.mode == "SuppressAuthor") and entry.short or entry.label
    out:insert(link_for(c.id, pandoc.Inlines(text)))
    if #c.suffix > 0 then out:extend(c.suffix) end
  end
  return out
end

return {{Meta = read_meta}, {Cite = Cite}}
