-- expect: missing_dataset.lua:3: dataset 'nope.h5': file not found
-- (relative to the working directory)
local d = dataset "nope.h5"
