//! Retry delays of failed tasks, as shell-operator computes them.

use std::time::Duration;

/// Longest delay between retries.
pub const MAX_DELAY: Duration = Duration::from_secs(32);

/// Delay before retrying a task that has failed `previous_failures` times
/// before this failure (0 for the first failure): 5 s, then
/// 5 s + 2^(n-1) s + jitter, truncated to 0.1 s, capped at 32 s. `jitter`
/// is in `[0, 1)` seconds and injected so tests are deterministic.
pub fn retry_delay(previous_failures: u32, jitter: f64) -> Duration {
    if previous_failures == 0 {
        return Duration::from_secs(5);
    }
    let exp = 2f64.powi(previous_failures.saturating_sub(1).min(30) as i32);
    let secs = 5.0 + exp + jitter.clamp(0.0, 0.999);
    let tenths = (secs * 10.0).floor() / 10.0;
    Duration::from_secs_f64(tenths).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_and_caps() {
        assert_eq!(retry_delay(0, 0.7), Duration::from_secs(5));
        assert_eq!(retry_delay(1, 0.0), Duration::from_secs(6));
        assert_eq!(retry_delay(2, 0.25), Duration::from_millis(7200));
        assert_eq!(retry_delay(4, 0.99), Duration::from_millis(13900));
        assert_eq!(retry_delay(10, 0.5), MAX_DELAY);
        assert_eq!(retry_delay(u32::MAX, 0.5), MAX_DELAY);
    }
}
