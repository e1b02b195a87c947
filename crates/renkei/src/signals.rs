//! Stopping on Ctrl-C or SIGTERM (systemd, `docker stop`, `kill`).

/// Listens from the moment it is made: until then Ctrl-C would end the process outright,
/// skipping the clean stop (and, for the demo, the removal of its temporary data).
pub struct Shutdown {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Shutdown {
    pub fn listen() -> std::io::Result<Shutdown> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Shutdown {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Shutdown {})
    }

    /// Completes at the next Ctrl-C or SIGTERM.
    pub async fn requested(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {},
            _ = self.terminate.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Completes at the first Ctrl-C or SIGTERM from now on.
pub async fn shutdown_signal() {
    match Shutdown::listen() {
        Ok(mut s) => s.requested().await,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
