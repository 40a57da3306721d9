-- CNN teacher and students on (stand-in) coloured Fashion-MNIST at 7x7: the
-- image path end to end (conv, pooling, transplant, feature losses, DEDIER's
-- readout on the conv layer's ReLU). 8 and 16 channels: the activations
-- between convolutions, pooling and GAP can stay channel-blocked, except
-- the ReLU DEDIER's readout reads.
local d = dataset "run_cnn.h5"
local teacher = train {
  data = d, arch = cnn{ channels = {8, 16}, fc = 32 }, method = groupdro{},
  optim = adamw{ lr = 3e-3 }, epochs = 3, batch = 64,
}
return grid {
  data = d, teacher = teacher, epochs = 2, batch = 64, seeds = {1},
  student = cnn{ channels = {8}, fc = 8 },
  method = sweep{ erm{}, kd{}, simkd{}, dett{ up = 20 }, groupdro{}, dedier{} },
}
