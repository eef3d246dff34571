//! `settings.executionMinInterval` / `executionBurst`: a token bucket per
//! hook. A task whose hook has no token waits at the head of its queue,
//! so events pile up behind it and are combined into the next run.

use std::time::{Duration, Instant};

/// A token bucket.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    interval: Duration,
    burst: u32,
    tokens: f64,
    last: Option<Instant>,
}

impl TokenBucket {
    /// One token every `interval`, at most `burst` saved (min 1).
    pub fn new(interval: Duration, burst: u32) -> Self {
        let burst = burst.max(1);
        TokenBucket {
            interval,
            burst,
            tokens: burst as f64,
            last: None,
        }
    }

    fn refill(&mut self, now: Instant) {
        if let Some(last) = self.last
            && !self.interval.is_zero()
        {
            let gained =
                now.saturating_duration_since(last).as_secs_f64() / self.interval.as_secs_f64();
            self.tokens = (self.tokens + gained).min(self.burst as f64);
        }
        if self.interval.is_zero() {
            self.tokens = self.burst as f64;
        }
        self.last = Some(now);
    }

    /// Take a token at `now`, or say how long until one is available.
    pub fn try_acquire(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - self.tokens;
            Err(Duration::from_secs_f64(
                missing * self.interval.as_secs_f64(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_interval() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(Duration::from_secs(5), 2);
        assert!(b.try_acquire(t0).is_ok());
        assert!(b.try_acquire(t0).is_ok());
        assert_eq!(b.try_acquire(t0), Err(Duration::from_secs(5)));
        assert_eq!(
            b.try_acquire(t0 + Duration::from_secs(2)),
            Err(Duration::from_secs(3))
        );
        assert!(b.try_acquire(t0 + Duration::from_secs(5)).is_ok());
        // Tokens never exceed the burst.
        let later = t0 + Duration::from_secs(100);
        assert!(b.try_acquire(later).is_ok());
        assert!(b.try_acquire(later).is_ok());
        assert!(b.try_acquire(later).is_err());
    }
}
