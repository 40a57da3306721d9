-- expect: adamw_betas.lua:2: adamw{}: 'betas' must have 2 entries, got 1
local o = adamw{ lr = 1e-3, betas = {0.9} }
