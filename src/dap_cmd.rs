//! `bitloom dap`: serve the Debug Adapter Protocol for editors (VS Code, nvim-dap, ...) on
//! stdin/stdout, or with `--port N` on 127.0.0.1 (one client at a time, until killed).
//! The adapter itself is `bitloom_debugger::dap`.

use std::io::BufReader;
use std::net::TcpListener;

/// Arguments of `bitloom dap`.
#[derive(clap::Args)]
pub struct DapArgs {
    /// Listen on 127.0.0.1:PORT instead of using stdin/stdout (0: any free port; the
    /// port is printed on stderr).
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
}

/// Run `bitloom dap`.
pub fn run(a: DapArgs) -> Result<u8, String> {
    match a.port {
        None => {
            let stdin = BufReader::new(std::io::stdin());
            bitloom_debugger::dap::serve(stdin, std::io::stdout().lock())
                .map_err(|e| format!("error: dap: {e}"))?;
            Ok(0)
        }
        Some(p) => {
            let l = TcpListener::bind(("127.0.0.1", p))
                .map_err(|e| format!("error: dap: cannot listen on 127.0.0.1:{p}: {e}"))?;
            let addr = l.local_addr().map_err(|e| format!("error: dap: {e}"))?;
            crate::output::stderr(&format!("bitloom dap: listening on {addr}\n"));
            for conn in l.incoming() {
                let c = match conn {
                    Ok(c) => c,
                    Err(e) => {
                        crate::output::stderr(&format!("bitloom dap: accept: {e}\n"));
                        continue;
                    }
                };
                let r = c.try_clone().map_err(|e| format!("error: dap: {e}"))?;
                if let Err(e) = bitloom_debugger::dap::serve(BufReader::new(r), c) {
                    crate::output::stderr(&format!("bitloom dap: connection ended: {e}\n"));
                }
            }
            Ok(0)
        }
    }
}
