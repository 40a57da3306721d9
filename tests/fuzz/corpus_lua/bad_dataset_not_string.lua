-- expect: dataset_not_string.lua:2: dataset: expected a file name (string), got number 42
local d = dataset(42)
