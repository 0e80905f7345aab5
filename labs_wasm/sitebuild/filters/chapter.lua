--[[ Chapter structure for the Pandoc renderer (sitebuild).

- Lifts the chapter's first level-1 heading out of the body into metadata (chapter-title,
  chapter-title-text, chapter-id, chapter-unnumbered) so the page template shows it as the
  page title ("Chapter 9 Data Selection") and sections number from N.1 with
  --number-offset=N.
- Records every @sec citation id (sec-cites) and lab id (lab-ids) the chapter uses, so the
  build can check them against the crossref index and the lab catalog before rendering.
]]
PANDOC_VERSION:must_be_at_least '3.1.1'

local function has_class(el, name)
  for _, class in ipairs(el.classes) do
    if class == name then return true end
  end
  return false
end

local function Pandoc(doc)
  local meta = doc.meta
  for i, block in ipairs(doc.blocks) do
    if block.t == "Header" and block.level == 1 then
      doc.blocks:remove(i)
      meta["chapter-title"] = pandoc.MetaInlines(block.content)
      meta["chapter-title-text"] = pandoc.utils.stringify(block.content)
      meta["chapter-id"] = block.identifier
      meta["chapter-unnumbered"] = has_class(block, "unnumbered")
      break
    end
    if block.t == "Header" then break end   -- a section before any H1: no chapter heading
  end
  if not meta["chapter-title"] and meta.title then
    meta["chapter-title"] = meta.title
    meta["chapter-title-text"] = pandoc.utils.stringify(meta.title)
  end

  local cites, labs = pandoc.List(), pandoc.List()
  doc:walk({
    Cite = function(cite)
      for _, c in ipairs(cite.citations) do
        if c.id:match("^sec%-") then cites:insert(c.id) end
      end
    end,
    Div = function(div)
      if has_class(div, "lab") and div.attributes["lab"] then labs:insert(div.attributes["lab"]) end
    end,
  })
  meta["sec-cites"] = pandoc.MetaList(cites:map(pandoc.MetaString))
  meta["lab-ids"] = pandoc.MetaList(labs:map(pandoc.MetaString))
  doc.meta = meta
  return doc
end

return {{Pandoc = Pandoc}}
