--[[ Every chapter table sits in a horizontal scroll container (<div class="table-scroll">).

A table wider than the text column would otherwise be clipped (chapter sections use
`content-visibility: auto`, whose paint containment cuts what overflows) or pan the whole page
on a phone. book.js makes the container a named, focusable region only when it really
overflows, so a keyboard can scroll it and a table that fits adds no Tab stop.
]]
PANDOC_VERSION:must_be_at_least '3.1.1'

function Table(tbl)
  return pandoc.Div({tbl}, pandoc.Attr("", {"table-scroll"}))
end
