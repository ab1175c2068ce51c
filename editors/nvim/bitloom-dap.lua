-- nvim-dap configuration for the bitloom debugger (`bitloom dap`, on stdin/stdout).
-- Put this in your config (e.g. after/plugin/bitloom-dap.lua); needs mfussenegger/nvim-dap.
local dap = require('dap')

dap.adapters.bitloom = {
  type = 'executable',
  command = 'bitloom',
  args = { 'dap' },
}

-- Loom assembly files: set `filetype=asm` (or map *.s to a filetype of your choice).
dap.configurations.asm = {
  {
    type = 'bitloom',
    request = 'launch',
    name = 'Debug Loom program',
    program = '${file}',
    stopOnEntry = false,
    -- hw = 'path/to/hw.toml',
  },
}
