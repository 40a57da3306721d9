-- expect: include_outside.lua:3: include '/etc/passwd': outside the script's directory (allow its directory with --include-path DIR)
-- include reads only the script's own directory tree
local x = include "/etc/passwd"
