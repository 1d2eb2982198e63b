//! Capturing what is logged, at every level, to check what reaches the logs (no secrets)
//! and how often (once per incident).

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

/// A buffer that a `tracing` subscriber writes into.
#[derive(Debug, Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    /// A subscriber writing every event, at every level, into this capture.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish()
    }

    /// [`subscriber`](Self::subscriber), also writing a line when a span closes, with the
    /// span's fields (what a tracing backend would receive).
    pub fn span_subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_writer(move || writer.clone())
            .finish()
    }

    /// Capture on this thread (all tasks of a current-thread runtime) until the guard drops.
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        tracing::subscriber::set_default(self.subscriber())
    }

    /// What was logged so far.
    pub fn text(&self) -> String {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Everything logged, at every level, while `f` runs.
pub fn capture(f: impl FnOnce()) -> String {
    let capture = LogCapture::default();
    tracing::subscriber::with_default(capture.subscriber(), f);
    capture.text()
}
