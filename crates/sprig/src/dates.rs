//! Date functions: `now`, `date`, `dateInZone`, `htmlDate`, `dateModify`,
//! `ago`, `duration`, `durationRound`, `toDate`, `unixEpoch`.

use chrono::Utc;
use gotmpl::{FuncError, FuncMap, Value};

use crate::gotime::{self, GoTime, Location};
use crate::{FuncResult, args, define};

/// Sprig's reading of a date argument: a time, or Unix seconds from an
/// integer; anything else (a YAML float, a string) is the current time.
fn time_arg(v: &Value) -> GoTime {
    match v {
        Value::Int(secs) | Value::Int64(secs) => GoTime::unix(*secs),
        other => GoTime::from_value(other).unwrap_or_else(GoTime::now),
    }
}

/// A `time.Time` parameter.
fn time_param(v: &Value) -> Result<GoTime, FuncError> {
    GoTime::from_value(v).ok_or_else(|| {
        if matches!(v, Value::Nil) {
            FuncError::new("invalid value; expected time.Time")
        } else {
            FuncError::new(format!(
                "wrong type for value; expected time.Time; got {}",
                args::go_type(v)
            ))
        }
    })
}

fn date_in_zone(layout: &str, date: &Value, zone: &str) -> Value {
    let location = gotime::load_location(zone).unwrap_or(Location::Utc);
    Value::str(time_arg(date).with_location(location).format(layout))
}

fn date_modify(n: &'static str, a: &[Value], must: bool) -> FuncResult {
    args::exact(n, a, 2)?;
    let (spec, t) = (args::string(&a[0])?, time_param(&a[1])?);
    match gostd::time::parse_duration(spec) {
        Ok(nanos) => {
            let instant = t
                .instant
                .checked_add_signed(chrono::Duration::nanoseconds(nanos))
                .unwrap_or(t.instant);
            Ok(GoTime {
                instant,
                location: t.location,
            }
            .into_value())
        }
        Err(e) if must => Err(FuncError::new(e)),
        Err(_) => Ok(t.into_value()),
    }
}

fn to_date(n: &'static str, a: &[Value], must: bool) -> FuncResult {
    args::exact(n, a, 2)?;
    let (layout, text) = (args::string(&a[0])?, args::string(&a[1])?);
    match gotime::parse(layout, text, gotime::local()) {
        Ok(t) => Ok(t.into_value()),
        Err(e) if must => Err(FuncError::new(e.to_string())),
        Err(_) => Ok(go_zero_time().into_value()),
    }
}

/// Go's zero `time.Time`: January 1, year 1, 00:00:00 UTC.
fn go_zero_time() -> GoTime {
    let instant = chrono::NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
        .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
    GoTime {
        instant,
        location: Location::Utc,
    }
}

/// Register the date functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["now"], |n, a| {
        args::exact(n, a, 0)?;
        Ok(GoTime::now().into_value())
    });
    define(m, &["date"], |n, a| {
        args::exact(n, a, 2)?;
        Ok(date_in_zone(args::string(&a[0])?, &a[1], "Local"))
    });
    define(m, &["dateInZone", "date_in_zone"], |n, a| {
        args::exact(n, a, 3)?;
        Ok(date_in_zone(
            args::string(&a[0])?,
            &a[1],
            args::string(&a[2])?,
        ))
    });
    define(m, &["htmlDate"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(date_in_zone("2006-01-02", &a[0], "Local"))
    });
    define(m, &["htmlDateInZone"], |n, a| {
        args::exact(n, a, 2)?;
        Ok(date_in_zone("2006-01-02", &a[0], args::string(&a[1])?))
    });
    define(m, &["dateModify", "date_modify"], |n, a| {
        date_modify(n, a, false)
    });
    define(m, &["mustDateModify", "must_date_modify"], |n, a| {
        date_modify(n, a, true)
    });
    define(m, &["toDate"], |n, a| to_date(n, a, false));
    define(m, &["mustToDate"], |n, a| to_date(n, a, true));
    define(m, &["unixEpoch"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(
            time_param(&a[0])?.instant.timestamp().to_string(),
        ))
    });
    define(m, &["ago"], |n, a| {
        args::exact(n, a, 1)?;
        let t = time_arg(&a[0]);
        let elapsed = (Utc::now() - t.instant)
            .num_nanoseconds()
            .unwrap_or(i64::MAX);
        // Rounded to the second, half away from zero.
        let rounded = (elapsed as f64 / 1e9).round() as i64 * 1_000_000_000;
        Ok(Value::str(gostd::time::duration_string(rounded)))
    });
    define(m, &["duration"], |n, a| {
        args::exact(n, a, 1)?;
        // Sprig reads strings and int64 only. Template integers are Go `int`
        // (typeOf says so) and YAML numbers float64: both give 0s, as in Helm.
        let secs = match &a[0] {
            Value::String(s) => s.parse::<i64>().unwrap_or(0),
            Value::Int64(i) => *i,
            _ => 0,
        };
        Ok(Value::str(gostd::time::duration_string(
            secs.saturating_mul(1_000_000_000),
        )))
    });
    define(m, &["durationRound"], |n, a| {
        args::exact(n, a, 1)?;
        let nanos: i64 = match &a[0] {
            Value::String(s) => gostd::time::parse_duration(s).unwrap_or(0),
            Value::Int64(i) => *i,
            // Template integers are `int`, not the `int64` Sprig reads: 0.
            other => match GoTime::from_value(other) {
                Some(t) => (Utc::now() - t.instant)
                    .num_nanoseconds()
                    .unwrap_or(i64::MAX),
                None => 0,
            },
        };
        let u = nanos.unsigned_abs();
        const SECOND: u64 = 1_000_000_000;
        const MINUTE: u64 = 60 * SECOND;
        const HOUR: u64 = 60 * MINUTE;
        const DAY: u64 = 24 * HOUR;
        let text = if u > 365 * DAY {
            format!("{}y", u / (365 * DAY))
        } else if u > 30 * DAY {
            format!("{}mo", u / (30 * DAY))
        } else if u > DAY {
            format!("{}d", u / DAY)
        } else if u > HOUR {
            format!("{}h", u / HOUR)
        } else if u > MINUTE {
            format!("{}m", u / MINUTE)
        } else if u > SECOND {
            format!("{}s", u / SECOND)
        } else {
            "0s".to_string()
        };
        Ok(Value::str(text))
    });
}
