-- experiments/paper_table.lua reduced for the test suite: two benchmarks
-- (stand-in coloured Fashion-MNIST at 7x7, small synthetic data), one seed,
-- two epochs, both student sizes, every method of the table.
local benchmarks = {
  { "smoke_cfmnist.h5", {32, 32}, { {4}, {16} } },
  { "smoke_synth.h5",   {32, 32}, { {4}, {16} } },
}
local grids = {}
for _, b in ipairs(benchmarks) do
  local d = dataset(b[1])
  local teacher = train { data = d, arch = mlp(b[2]), method = groupdro{}, epochs = 2 }
  local students = {}
  for i, w in ipairs(b[3]) do students[i] = mlp(w) end
  grids[#grids + 1] = grid {
    data = d, teacher = teacher, epochs = 2, seeds = {1},
    student = sweep(students),
    method = sweep{ erm{}, kd{}, fitnet{}, simkd{}, jtt{ up = 20 }, groupdro{}, dett{} },
  }
end
return grids
