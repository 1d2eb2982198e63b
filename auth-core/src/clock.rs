//! The wall clock, in the unit every rule here uses: whole seconds since the Unix epoch.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch (0 if the system clock is set before it).
///
/// On Linux this reads the coarse real-time clock (`CLOCK_REALTIME_COARSE`: the time of
/// the last scheduler tick, a few milliseconds behind at most), which costs a few
/// nanoseconds where the precise clock costs tens; every rule here counts whole seconds
/// (with a leeway for tokens), so the lag never changes a decision by more than a tick.
/// Elsewhere it reads [`SystemTime`].
pub fn now() -> i64 {
    #[cfg(target_os = "linux")]
    {
        rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse)
            .tv_sec
            .max(0)
    }
    #[cfg(not(target_os = "linux"))]
    {
        precise()
    }
}

/// Seconds since the Unix epoch from [`SystemTime`] (0 before it).
#[cfg_attr(target_os = "linux", allow(dead_code))]
fn precise() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The coarse clock is the wall clock, at most a tick behind.
    #[test]
    fn the_coarse_clock_reads_the_wall_clock() {
        let before = precise();
        let coarse = now();
        let after = precise();
        assert!(
            before - 1 <= coarse && coarse <= after,
            "{before} {coarse} {after}"
        );
    }
}
