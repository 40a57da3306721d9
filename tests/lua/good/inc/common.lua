-- shared definitions for include_good.lua (not a test by itself)
local d = dataset "lua-data/tiny.h5"
return { data = d, teacher = train{ data = d, arch = mlp{16}, epochs = 2 } }
