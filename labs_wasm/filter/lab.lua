--[[ lab.lua: embed a lab (and the ledger view) into a chapter page.

Shared by Quarto (listed in _quarto.yml) and the plain-Pandoc renderer (sitebuild).
Contract: labs_wasm/PROTOCOL.md section 4.

  ::: {.lab lab="vol1/01"}     -> <section class="lab" data-lab="vol1/01" ...> with the
  :::                             pre-rendered view tree and the lab's crossref map
  ::: {.ledger-view}           -> <section class="ledger-view"> + the ledger script
  :::
  ::: {.class-view}            -> <section class="class-view"> + the class view script
  :::                             (both with the labs catalog, to name the labs)

Metadata (read once):
  lab-prerender-dir  folder with <vol1-01>.json and <vol1-01>.xref.json, and the labs
                     catalog catalog/labs.json (default _build/prerender, relative to the
                     project root)
  site-root          relative path from this page to the site root ("../" ...);
                     under Quarto, quarto.project.offset() is used when site-root is unset.

A missing or unreadable pre-render is reported on stderr with the file and lab id, and the
page gets a readable notice instead of a crash. Non-HTML outputs get a plain paragraph.
]]
PANDOC_VERSION:must_be_at_least '3.1.1'   -- pandoc.json

local json = pandoc.json
local stringify = pandoc.utils.stringify

local config = {
  prerender_dir = "_build/prerender",
  site_root = "",
  source = "(unknown file)",
}

-- Relative site root, always ending in "/" unless empty.
local function normalize_root(root)
  if root == nil or root == "" or root == "." or root == "./" then return "" end
  if root:sub(-1) ~= "/" then root = root .. "/" end
  return root
end

local function read_config(meta)
  if quarto and quarto.project and quarto.project.directory then
    config.prerender_dir = quarto.project.directory .. "/_build/prerender"
  end
  if meta["lab-prerender-dir"] then
    config.prerender_dir = stringify(meta["lab-prerender-dir"])
  end
  if meta["site-root"] then
    config.site_root = normalize_root(stringify(meta["site-root"]))
  elseif quarto and quarto.project and quarto.project.offset then
    local ok, offset = pcall(quarto.project.offset)
    if ok then config.site_root = normalize_root(offset) end
  end
  if PANDOC_STATE and PANDOC_STATE.input_files and PANDOC_STATE.input_files[1] then
    config.source = PANDOC_STATE.input_files[1]
  end
end

-- Links in the pre-rendered HTML start with this mark (prerender_html.mjs): the page's
-- relative path to the site root replaces it. (A Lua pattern: "-" escaped.)
local SITE_ROOT_MARK = "@@lab%-site%-root@@"

local function escape_attr(s)
  return (s:gsub("&", "&amp;"):gsub('"', "&quot;"):gsub("<", "&lt;"):gsub(">", "&gt;"))
end

-- JSON inside <script type="application/json">: "</" and "<!--" must not appear raw.
local function script_safe(text)
  return (text:gsub("</", "<\\/"):gsub("<!%-%-", "<\\u0021--"))
end

local function read_file(path)
  local fh = io.open(path, "r")
  if not fh then return nil end
  local text = fh:read("a")
  fh:close()
  return text
end

-- The labs catalog (sitebuild/prerender.py): read once, nil when absent (then a lab's section
-- names no chapter and the Ledger page names labs by number only).
local catalog_cache = false
local function labs_catalog()
  if catalog_cache == false then
    catalog_cache = nil
    local text = read_file(config.prerender_dir .. "/catalog/labs.json")
    if text then
      local ok, decoded = pcall(json.decode, text, false)
      if ok and type(decoded) == "table" then catalog_cache = decoded end
    end
  end
  return catalog_cache
end

local function catalog_lab(lab_id)
  local catalog = labs_catalog()
  for _, lab in pairs(catalog and catalog.labs or {}) do
    if lab.id == lab_id then return lab end
  end
  return nil
end

local function warn(lab_id, message)
  io.stderr:write(string.format("%s: lab %s: %s\n", config.source, lab_id, message))
end

local function is_html()
  return FORMAT:match("html") ~= nil
end

-- Rewrite xref hrefs (relative to the site root) to be relative to this page.
local function xref_for_page(xref)
  local out = {}
  for id, entry in pairs(xref) do
    local copy = {}
    for k, v in pairs(entry) do copy[k] = v end
    if type(copy.href) == "string" and not copy.href:match("^#") then
      copy.href = config.site_root .. copy.href
    end
    out[id] = copy
  end
  return out
end

-- Deterministic JSON (sorted object keys, so pages are byte-stable); lists stay lists.
local function encode_sorted(value)
  if type(value) ~= "table" or next(value) == nil then return json.encode(value) end
  if value[1] ~= nil then
    local items = {}
    for _, item in ipairs(value) do table.insert(items, encode_sorted(item)) end
    return "[" .. table.concat(items, ", ") .. "]"
  end
  local keys = {}
  for k in pairs(value) do table.insert(keys, k) end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    table.insert(parts, json.encode(tostring(k)) .. ": " .. encode_sorted(value[k]))
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- Not class "lab" and no data-lab: the runtime must not try to boot a lab that is not there.
local function notice(lab_id, text)
  local html = string.format(
    '<section class="lab-unavailable" data-missing-lab="%s" aria-label="Lab %s unavailable">\n'
    .. '  <p class="lab-status" role="status">%s</p>\n</section>',
    escape_attr(lab_id), escape_attr(lab_id), escape_attr(text))
  return pandoc.RawBlock("html", html)
end

local boot_emitted = false

local function lab_block(div)
  local lab_id = div.attributes["lab"]
  if not lab_id or lab_id == "" then
    warn("?", 'a .lab block has no lab="volN/NN" attribute')
    return notice("?", 'This lab block names no lab (expected lab="vol1/01").')
  end
  if not is_html() then
    return pandoc.Para(pandoc.Inlines("Interactive lab " .. lab_id .. ": open the HTML edition to run it."))
  end
  local stem = config.prerender_dir .. "/" .. lab_id:gsub("/", "-")
  local tree = read_file(stem .. ".json")
  if not tree then
    warn(lab_id, "missing pre-render " .. stem .. ".json (run python -m sitebuild.prerender)")
    return notice(lab_id, "Lab " .. lab_id .. " could not be prepared when this page was built. "
      .. "Rebuild the site to run it.")
  end
  local ok_tree, decoded_tree = pcall(json.decode, tree, false)
  if not ok_tree then
    warn(lab_id, "pre-render " .. stem .. ".json is not valid JSON")
    return notice(lab_id, "Lab " .. lab_id .. " has a damaged pre-render. Rebuild the site to run it.")
  end
  local xref = {}
  local xref_text = read_file(stem .. ".xref.json")
  if xref_text then
    local ok, decoded = pcall(json.decode, xref_text, false)
    if ok and type(decoded) == "table" then
      xref = xref_for_page(decoded)
    else
      warn(lab_id, "crossref map " .. stem .. ".xref.json is not valid JSON; section links disabled")
    end
  end
  local xref_json = encode_sorted(xref)
  local root = config.site_root
  -- The first view as HTML (sitebuild/prerender_html.mjs): visible and answerable before any
  -- script runs; the runtime adopts it. Without it the runtime draws the view from the JSON.
  local view = read_file(stem .. ".html")
  if view then
    view = view:gsub(SITE_ROOT_MARK, (root:gsub("%%", "%%%%")))
  else
    warn(lab_id, "no pre-rendered HTML " .. stem .. ".html: the lab shows once its script has run")
    view = ""
  end
  local dom_id = "lab-" .. lab_id:gsub("[^%w]", "-")
  -- What a screen reader announces: "Lab 01: The magnitude gap", not the id "vol1/01".
  local number = lab_id:match("/(%d+)$") or lab_id
  local title = type(decoded_tree) == "table" and type(decoded_tree.title) == "string" and decoded_tree.title
  local label = "Lab " .. number .. (title and (": " .. title) or "")
  -- The chapter this page is, for the lab's header (the build knows titles; the lab only
  -- its chapter's slug).
  local chapter_attrs = ""
  local entry = catalog_lab(lab_id)
  if entry and type(entry.chapter) == "table" and entry.chapter.title then
    chapter_attrs = string.format(' data-chapter-title="%s"', escape_attr(tostring(entry.chapter.title)))
    if entry.chapter.number and entry.chapter.number ~= json.null then
      chapter_attrs = string.format(' data-chapter-number="%s"', escape_attr(tostring(math.tointeger(entry.chapter.number) or entry.chapter.number))) .. chapter_attrs
    end
  end
  local html = string.format(
    '<section class="lab" id="%s" data-lab="%s" data-state="loading" data-site-root="%s"%s aria-label="%s">\n'
    .. '  <p class="lab-status" role="status" aria-live="polite">Loading Python…</p>\n'
    .. '  <div class="lab-root"%s>%s</div>\n'
    .. '  <script type="application/json" class="lab-initial">%s</script>\n'
    .. '  <script type="application/json" class="lab-xref">%s</script>\n'
    .. '</section>',
    escape_attr(dom_id), escape_attr(lab_id), escape_attr(root), chapter_attrs, escape_attr(label),
    view ~= "" and ' data-prerendered=""' or "", view, script_safe(tree:gsub("%s+$", "")), script_safe(xref_json))
  local blocks = {pandoc.RawBlock("html", html)}
  if not boot_emitted then
    boot_emitted = true
    table.insert(blocks, pandoc.RawBlock("html",
      string.format('<script type="module" src="%sassets/runtime/boot.js"></script>', escape_attr(root))))
  end
  return blocks
end

-- The labs catalog for the Ledger page, with hrefs rebased from the site root to this page.
local function catalog_for_page()
  local catalog = labs_catalog()
  if not catalog then return nil end
  local labs = {}
  for key, lab in pairs(catalog.labs or {}) do
    local copy = {}
    for k, v in pairs(lab) do copy[k] = v end
    if type(copy.href) == "string" then copy.href = config.site_root .. copy.href end
    labs[key] = copy
  end
  return {version = catalog.version, contexts = catalog.contexts, labs = labs}
end

-- A page section that reads ledgers in the browser, with the labs catalog to name labs: the
-- Ledger page (`ledger-view`, runtime/ledger.js) and the class view (`class-view`,
-- runtime/classview.js, book/class.qmd: an instructor's summary of students' ledger files).
local LEDGER_VIEWS = {
  ["ledger-view"] = {module = "ledger.js", loading = "Loading your ledger…",
                     other = "Your Design Ledger is shown in the HTML edition."},
  ["class-view"] = {module = "classview.js", loading = "Loading the class view…",
                    other = "The class view is in the HTML edition."},
}

local function ledger_view_block(class)
  local view = LEDGER_VIEWS[class]
  if not is_html() then return pandoc.Para(pandoc.Inlines(view.other)) end
  local root = escape_attr(config.site_root)
  local catalog = catalog_for_page()
  local catalog_script = catalog
    and string.format('<script type="application/json" class="ledger-catalog">%s</script>', script_safe(encode_sorted(catalog)))
    or ""
  return {
    pandoc.RawBlock("html", string.format(
      '<section class="%s" data-site-root="%s">'
      .. '<p class="ledger-status" role="status">%s</p>%s</section>', class, root, view.loading, catalog_script)),
    pandoc.RawBlock("html", string.format(
      '<script type="module" src="%sassets/runtime/%s"></script>', root, view.module)),
  }
end

local function Div(div)
  if div.classes:includes("lab") then return lab_block(div) end
  for class in pairs(LEDGER_VIEWS) do
    if div.classes:includes(class) then return ledger_view_block(class) end
  end
  return nil
end

return {{Meta = read_config}, {Div = Div}}
