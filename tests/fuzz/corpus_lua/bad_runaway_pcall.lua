-- expect: script ran too long (instruction limit)
-- pcall cannot swallow the instruction limit and keep going
while true do
  pcall(function() while true do end end)
end
