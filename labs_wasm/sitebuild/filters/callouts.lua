--[[ Quarto-style callouts for plain Pandoc.

  ::: {.callout-note title="Optional title"}
  Body.
  :::

becomes a <div class="callout callout-note"> with a title bar and a body. The title comes
from the `title` attribute, else from a first heading inside the callout (which is then
removed, as Quarto does, so it is neither numbered nor in the table of contents), else the
kind's default ("Note", "Tip", ...). Quarto renders callouts itself, so this filter is only
used by the Pandoc renderer (sitebuild), never listed in _quarto.yml.
]]
PANDOC_VERSION:must_be_at_least '3.1.1'

local DEFAULT_TITLES = {
  note = "Note", tip = "Tip", warning = "Warning", important = "Important", caution = "Caution",
}

local function callout_kind(div)
  for _, class in ipairs(div.classes) do
    local kind = class:match("^callout%-(%a+)$")
    if kind and DEFAULT_TITLES[kind] then return kind end
  end
  return nil
end

local function title_inlines(div, kind)
  local attr_title = div.attributes["title"]
  if attr_title and attr_title ~= "" then
    local parsed = pandoc.read(attr_title, "markdown").blocks
    if #parsed > 0 and parsed[1].content then return parsed[1].content end
    return pandoc.Inlines(attr_title)
  end
  local first = div.content[1]
  if first and first.t == "Header" then
    div.content:remove(1)
    return first.content
  end
  return pandoc.Inlines(DEFAULT_TITLES[kind])
end

local function Div(div)
  local kind = callout_kind(div)
  if not kind then return nil end
  local title = title_inlines(div, kind)
  local classes = pandoc.List({"callout", "callout-" .. kind})
  for _, class in ipairs(div.classes) do
    if class ~= "callout-" .. kind then classes:insert(class) end
  end
  local attributes = {}
  attributes["data-callout"] = kind
  return pandoc.Div({
      pandoc.Div(pandoc.Plain(title), pandoc.Attr("", {"callout-title"})),
      pandoc.Div(div.content, pandoc.Attr("", {"callout-body"})),
    }, pandoc.Attr(div.identifier, classes, attributes))
end

return {{Div = Div}}
