//! Go's `time.Time` for templates: an instant with a location, Go's
//! reference-time layouts (`2006-01-02 15:04:05`) for formatting and
//! parsing, and `time.LoadLocation` over the IANA database (`chrono-tz`).
//! `time.Duration` text is [`gostd::time`]'s.

use std::fmt;
use std::rc::Rc;

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc,
};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use gotmpl::{Object, Value};

/// Where a time is shown: UTC, a named IANA zone, or a fixed offset.
#[derive(Clone, Debug, PartialEq)]
pub enum Location {
    /// `UTC`.
    Utc,
    /// An IANA zone (`Europe/Berlin`); `Local` resolves to one when it can.
    Zone(Tz),
    /// A fixed offset in seconds east of UTC with its abbreviation.
    Fixed(i32, String),
}

impl Location {
    /// Offset (seconds east of UTC) and abbreviation at `instant`.
    fn at(&self, instant: &DateTime<Utc>) -> (i32, String) {
        match self {
            Location::Utc => (0, "UTC".to_string()),
            Location::Fixed(secs, name) => (*secs, name.clone()),
            Location::Zone(tz) => {
                let off = tz.offset_from_utc_datetime(&instant.naive_utc());
                let secs = (off.base_utc_offset() + off.dst_offset()).num_seconds() as i32;
                let name = off
                    .abbreviation()
                    .map(str::to_string)
                    .unwrap_or_else(|| numeric_zone_name(secs));
                (secs, name)
            }
        }
    }
}

/// Go's name for a zone without an abbreviation: `+03`, `-0930`.
fn numeric_zone_name(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let (h, m) = (secs.abs() / 3600, secs.abs() / 60 % 60);
    if m == 0 {
        format!("{sign}{h:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    }
}

/// Go's `time.LoadLocation`: `""`/`UTC` → UTC, `Local` → the process's zone, IANA names.
pub fn load_location(name: &str) -> Option<Location> {
    match name {
        "" | "UTC" => Some(Location::Utc),
        "Local" => Some(local()),
        other => other.parse::<Tz>().ok().map(Location::Zone),
    }
}

/// The local zone as Go finds it: `$TZ`, else `/etc/localtime`, else UTC.
pub fn local() -> Location {
    if let Ok(tz) = std::env::var("TZ") {
        let name = tz.trim_start_matches(':');
        return if name.is_empty() {
            Location::Utc
        } else {
            load_location(name).unwrap_or(Location::Utc)
        };
    }
    if let Ok(target) = std::fs::read_link("/etc/localtime") {
        let path = target.to_string_lossy();
        if let Some(idx) = path.find("zoneinfo/")
            && let Ok(tz) = path[idx + 9..].parse::<Tz>()
        {
            return Location::Zone(tz);
        }
    }
    Location::Utc
}

/// The field through which a fixed-offset zone survives a round trip
/// through a template value (Go has no such field; it names no Go method).
const FIXED_OFFSET_FIELD: &str = "deckmodZoneOffsetSeconds";

/// A Go `time.Time`.
#[derive(Clone, Debug, PartialEq)]
pub struct GoTime {
    /// The instant.
    pub instant: DateTime<Utc>,
    /// The location it is shown in.
    pub location: Location,
}

impl GoTime {
    /// The current time in the local zone.
    pub fn now() -> GoTime {
        GoTime {
            instant: Utc::now(),
            location: local(),
        }
    }
    /// `time.Unix(secs, 0)` in the local zone.
    pub fn unix(secs: i64) -> GoTime {
        GoTime {
            instant: DateTime::from_timestamp(secs, 0).unwrap_or_default(),
            location: local(),
        }
    }
    /// The same instant shown in `location`.
    pub fn with_location(&self, location: Location) -> GoTime {
        GoTime {
            instant: self.instant,
            location,
        }
    }
    /// As a template value.
    pub fn into_value(self) -> Value {
        Value::Object(Rc::new(self))
    }
    /// A time from a template value holding one.
    pub fn from_value(v: &Value) -> Option<GoTime> {
        // Objects cannot be downcast, so the time is rebuilt from its fields.
        let Value::Object(o) = v else { return None };
        if o.type_name() != "time.Time" {
            return None;
        }
        let (Some(secs), Some(nanos)) = (
            o.field("Unix").and_then(|v| v.as_int()),
            o.field("Nanosecond").and_then(|v| v.as_int()),
        ) else {
            return None;
        };
        let instant = DateTime::from_timestamp(secs, u32::try_from(nanos).ok()?)?;
        let name = o
            .field("Location")
            .and_then(|l| l.as_str().map(str::to_string))
            .unwrap_or_default();
        let location = match (name.as_str(), name.parse::<Tz>()) {
            ("UTC", _) => Location::Utc,
            (_, Ok(tz)) => Location::Zone(tz),
            _ => match o.field(FIXED_OFFSET_FIELD) {
                Some(Value::Int(secs)) => Location::Fixed(secs as i32, name),
                _ => Location::Utc,
            },
        };
        Some(GoTime { instant, location })
    }
    fn local_parts(&self) -> (NaiveDateTime, i32, String) {
        let (off, name) = self.location.at(&self.instant);
        let naive = self.instant.naive_utc();
        let local = naive
            .checked_add_signed(chrono::Duration::seconds(i64::from(off)))
            .unwrap_or(naive);
        (local, off, name)
    }
    /// Go's `Time.Format(layout)`.
    pub fn format(&self, layout: &str) -> String {
        let (t, off, zone) = self.local_parts();
        let mut out = String::new();
        let mut rest = layout;
        while !rest.is_empty() {
            let (prefix, chunk, suffix) = next_chunk(rest);
            out.push_str(prefix);
            rest = suffix;
            let Some(chunk) = chunk else { break };
            format_chunk(&mut out, chunk, &t, off, &zone);
        }
        out
    }
    /// Go's `Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`.
    pub fn go_string(&self) -> String {
        self.format("2006-01-02 15:04:05.999999999 -0700 MST")
    }
}

impl Object for GoTime {
    fn type_name(&self) -> &str {
        "time.Time"
    }
    fn field(&self, name: &str) -> Option<Value> {
        let (t, _, _) = self.local_parts();
        Some(match name {
            "Unix" => Value::Int64(self.instant.timestamp()),
            "UnixNano" => Value::Int64(self.instant.timestamp_nanos_opt().unwrap_or(0)),
            "Nanosecond" => Value::Int(i64::from(self.instant.timestamp_subsec_nanos())),
            "Year" => Value::Int(i64::from(t.year())),
            "Month" => Value::Int(i64::from(t.month())),
            "Day" => Value::Int(i64::from(t.day())),
            "Hour" => Value::Int(i64::from(t.hour())),
            "Minute" => Value::Int(i64::from(t.minute())),
            "Second" => Value::Int(i64::from(t.second())),
            FIXED_OFFSET_FIELD => Value::Int(i64::from(self.location.at(&self.instant).0)),
            "Location" => Value::str(match &self.location {
                Location::Utc => "UTC".to_string(),
                Location::Zone(tz) => tz.name().to_string(),
                Location::Fixed(_, n) => n.clone(),
            }),
            _ => return None,
        })
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        match (name, args) {
            ("Format", [Value::String(layout)]) => Some(Ok(Value::str(self.format(layout)))),
            ("UTC", []) => Some(Ok(self.with_location(Location::Utc).into_value())),
            ("Unix", []) => Some(Ok(Value::Int64(self.instant.timestamp()))),
            _ => None,
        }
    }
    fn fmt_go(&self) -> String {
        self.go_string()
    }
}

impl fmt::Display for GoTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.go_string())
    }
}

/// The layout elements Go recognises, longest first where prefixes overlap.
const CHUNKS: &[&str] = &[
    "January",
    "Jan",
    "Monday",
    "Mon",
    "MST",
    "2006",
    "Z07:00:00",
    "Z070000",
    "Z07:00",
    "Z0700",
    "Z07",
    "-07:00:00",
    "-070000",
    "-07:00",
    "-0700",
    "-07",
    "002",
    "__2",
    "_2",
    "01",
    "02",
    "03",
    "04",
    "05",
    "06",
    "15",
    "PM",
    "pm",
    "1",
    "2",
    "3",
    "4",
    "5",
];

/// Split `layout` at its first layout element: text before, element, rest.
fn next_chunk(layout: &str) -> (&str, Option<&str>, &str) {
    let b = layout.as_bytes();
    for i in 0..b.len() {
        if !layout.is_char_boundary(i) {
            continue;
        }
        let rest = &layout[i..];
        // Fractional seconds: '.' or ',' then 0s or 9s, not followed by a digit.
        if (b[i] == b'.' || b[i] == b',')
            && i + 1 < b.len()
            && (b[i + 1] == b'0' || b[i + 1] == b'9')
        {
            let digit = b[i + 1];
            let mut j = i + 1;
            while j < b.len() && b[j] == digit {
                j += 1;
            }
            if j >= b.len() || !b[j].is_ascii_digit() {
                return (&layout[..i], Some(&layout[i..j]), &layout[j..]);
            }
        }
        for &c in CHUNKS {
            if let Some(after) = rest.strip_prefix(c) {
                // "Jan"/"Mon" must not be the start of a longer lower-case word.
                if (c == "Jan" || c == "Mon")
                    && after.starts_with(|ch: char| ch.is_ascii_lowercase())
                {
                    continue;
                }
                return (&layout[..i], Some(c), after);
            }
        }
    }
    (layout, None, "")
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fn zone_offset(out: &mut String, off: i32, z: bool, colon: bool, seconds: bool, hours_only: bool) {
    if z && off == 0 {
        out.push('Z');
        return;
    }
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.abs();
    out.push(sign);
    out.push_str(&format!("{:02}", a / 3600));
    if hours_only {
        return;
    }
    if colon {
        out.push(':');
    }
    out.push_str(&format!("{:02}", a / 60 % 60));
    if seconds {
        if colon {
            out.push(':');
        }
        out.push_str(&format!("{:02}", a % 60));
    }
}

fn format_chunk(out: &mut String, chunk: &str, t: &NaiveDateTime, off: i32, zone: &str) {
    let hour12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    match chunk {
        "January" => out.push_str(MONTHS[t.month0() as usize]),
        "Jan" => out.push_str(&MONTHS[t.month0() as usize][..3]),
        "1" => out.push_str(&t.month().to_string()),
        "01" => out.push_str(&format!("{:02}", t.month())),
        "Monday" => out.push_str(DAYS[t.weekday().num_days_from_sunday() as usize]),
        "Mon" => out.push_str(&DAYS[t.weekday().num_days_from_sunday() as usize][..3]),
        "2" => out.push_str(&t.day().to_string()),
        "_2" => out.push_str(&format!("{:>2}", t.day())),
        "02" => out.push_str(&format!("{:02}", t.day())),
        "__2" => out.push_str(&format!("{:>3}", t.ordinal())),
        "002" => out.push_str(&format!("{:03}", t.ordinal())),
        "15" => out.push_str(&format!("{:02}", t.hour())),
        "3" => out.push_str(&hour12.to_string()),
        "03" => out.push_str(&format!("{hour12:02}")),
        "4" => out.push_str(&t.minute().to_string()),
        "04" => out.push_str(&format!("{:02}", t.minute())),
        "5" => out.push_str(&t.second().to_string()),
        "05" => out.push_str(&format!("{:02}", t.second())),
        "2006" => out.push_str(&format!("{:04}", t.year())),
        "06" => out.push_str(&format!("{:02}", t.year().rem_euclid(100))),
        "PM" => out.push_str(if t.hour() >= 12 { "PM" } else { "AM" }),
        "pm" => out.push_str(if t.hour() >= 12 { "pm" } else { "am" }),
        "MST" => out.push_str(zone),
        "Z0700" => zone_offset(out, off, true, false, false, false),
        "Z070000" => zone_offset(out, off, true, false, true, false),
        "Z07" => zone_offset(out, off, true, false, false, true),
        "Z07:00" => zone_offset(out, off, true, true, false, false),
        "Z07:00:00" => zone_offset(out, off, true, true, true, false),
        "-0700" => zone_offset(out, off, false, false, false, false),
        "-070000" => zone_offset(out, off, false, false, true, false),
        "-07" => zone_offset(out, off, false, false, false, true),
        "-07:00" => zone_offset(out, off, false, true, false, false),
        "-07:00:00" => zone_offset(out, off, false, true, true, false),
        frac => {
            // .000 (fixed width) or .999 (trailing zeros and empty fraction dropped).
            let digits = frac.len() - 1;
            let nanos = format!("{:09}", t.nanosecond() % 1_000_000_000);
            let mut part = nanos[..digits.min(9)].to_string();
            if frac.as_bytes()[1] == b'9' {
                part = part.trim_end_matches('0').to_string();
                if part.is_empty() {
                    return;
                }
            }
            out.push_str(&frac[..1]);
            out.push_str(&part);
        }
    }
}

/// A time text Go's `time.Parse` refuses (`time.ParseError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeParseError {
    /// The text does not match the layout.
    #[error("parsing time {value:?} as {layout:?}: cannot parse {value:?} as {layout:?}")]
    Layout {
        /// The text.
        value: String,
        /// The layout.
        layout: String,
    },
    /// Text is left after the layout is matched.
    #[error("parsing time {value:?}: extra text: {extra:?}")]
    ExtraText {
        /// The text.
        value: String,
        /// What is left.
        extra: String,
    },
    /// A field is out of its range.
    #[error("parsing time {value:?}: {field} out of range")]
    OutOfRange {
        /// The text.
        value: String,
        /// `hour`, `month` or `day`.
        field: &'static str,
    },
}

/// Go's `time.ParseInLocation(layout, value, loc)` for the layout elements
/// above. Errors are worded as Go words the common ones.
pub fn parse(layout: &str, value: &str, loc: Location) -> Result<GoTime, TimeParseError> {
    let fail = || TimeParseError::Layout {
        value: value.to_string(),
        layout: layout.to_string(),
    };
    let out_of_range = |field| TimeParseError::OutOfRange {
        value: value.to_string(),
        field,
    };
    let (mut year, mut month, mut day, mut hour, mut minute, mut second, mut nanos) =
        (1i32, 1u32, 1u32, 0u32, 0u32, 0u32, 0u32);
    let mut pm: Option<bool> = None;
    let mut offset: Option<i32> = None;
    let mut rest_layout = layout;
    let mut v = value;
    let number = |v: &mut &str, min: usize, max: usize| -> Option<u32> {
        let n = v.bytes().take(max).take_while(u8::is_ascii_digit).count();
        if n < min {
            return None;
        }
        let (d, r) = v.split_at(n);
        *v = r;
        d.parse().ok()
    };
    while !rest_layout.is_empty() {
        let (prefix, chunk, suffix) = next_chunk(rest_layout);
        v = v.strip_prefix(prefix).ok_or_else(fail)?;
        rest_layout = suffix;
        let Some(chunk) = chunk else { break };
        match chunk {
            "2006" => year = number(&mut v, 4, 4).ok_or_else(fail)? as i32,
            "06" => year = 1900 + number(&mut v, 2, 2).ok_or_else(fail)? as i32,
            "01" => month = number(&mut v, 2, 2).ok_or_else(fail)?,
            "1" => month = number(&mut v, 1, 2).ok_or_else(fail)?,
            "January" | "Jan" => {
                let (i, name) = MONTHS
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (i, if chunk == "Jan" { &m[..3] } else { m }))
                    .find(|(_, m)| v.get(..m.len()).is_some_and(|p| p.eq_ignore_ascii_case(m)))
                    .ok_or_else(fail)?;
                month = i as u32 + 1;
                v = &v[name.len()..];
            }
            "Monday" | "Mon" => {
                let name = DAYS
                    .iter()
                    .map(|d| if chunk == "Mon" { &d[..3] } else { d })
                    .find(|d| v.get(..d.len()).is_some_and(|p| p.eq_ignore_ascii_case(d)))
                    .ok_or_else(fail)?;
                v = &v[name.len()..];
            }
            "02" => day = number(&mut v, 2, 2).ok_or_else(fail)?,
            "2" => day = number(&mut v, 1, 2).ok_or_else(fail)?,
            "_2" => {
                v = v.strip_prefix(' ').unwrap_or(v);
                day = number(&mut v, 1, 2).ok_or_else(fail)?;
            }
            "15" => hour = number(&mut v, 1, 2).ok_or_else(fail)?,
            "03" | "3" => {
                hour = number(&mut v, if chunk == "03" { 2 } else { 1 }, 2).ok_or_else(fail)?
            }
            "04" | "4" => {
                minute = number(&mut v, if chunk == "04" { 2 } else { 1 }, 2).ok_or_else(fail)?
            }
            "05" | "5" => {
                second = number(&mut v, if chunk == "05" { 2 } else { 1 }, 2).ok_or_else(fail)?;
                // Go accepts a fraction after seconds even when the layout has none.
                if v.starts_with('.')
                    && v[1..].starts_with(|c: char| c.is_ascii_digit())
                    && !suffix.starts_with('.')
                {
                    let n = v[1..].bytes().take_while(u8::is_ascii_digit).count();
                    nanos = fraction_nanos(&v[1..1 + n]);
                    v = &v[1 + n..];
                }
            }
            "PM" | "pm" => {
                let p = v.get(..2).ok_or_else(fail)?.to_ascii_uppercase();
                pm = Some(match p.as_str() {
                    "PM" => true,
                    "AM" => false,
                    _ => return Err(fail()),
                });
                v = &v[2..];
            }
            "MST" => {
                let n = v.bytes().take_while(u8::is_ascii_uppercase).count();
                if n < 3 {
                    return Err(fail());
                }
                if &v[..n] == "UTC" || &v[..n] == "GMT" {
                    offset = Some(0);
                }
                v = &v[n..];
            }
            c if c.starts_with('Z') || c.starts_with('-') => {
                if c.starts_with('Z') && v.starts_with('Z') {
                    v = &v[1..];
                    offset = Some(0);
                    continue;
                }
                let sign = match v.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return Err(fail()),
                };
                v = &v[1..];
                let h = number(&mut v, 2, 2).ok_or_else(fail)? as i32;
                let mut secs = h * 3600;
                if !c.ends_with("07") {
                    if c.contains(':') {
                        v = v.strip_prefix(':').ok_or_else(fail)?;
                    }
                    secs += number(&mut v, 2, 2).ok_or_else(fail)? as i32 * 60;
                    if c.ends_with("0000") || c.ends_with(":00:00") {
                        if c.contains(':') {
                            v = v.strip_prefix(':').ok_or_else(fail)?;
                        }
                        secs += number(&mut v, 2, 2).ok_or_else(fail)? as i32;
                    }
                }
                offset = Some(sign * secs);
            }
            "002" | "__2" => {
                v = v.trim_start_matches(' ');
                number(&mut v, 1, 3).ok_or_else(fail)?;
            }
            frac => {
                let sep = &frac[..1];
                v = v.strip_prefix(sep).ok_or_else(fail)?;
                let n = v.bytes().take_while(u8::is_ascii_digit).count();
                if frac.as_bytes()[1] == b'0' && n != frac.len() - 1 {
                    return Err(fail());
                }
                nanos = fraction_nanos(&v[..n]);
                v = &v[n..];
            }
        }
    }
    if !v.is_empty() {
        return Err(TimeParseError::ExtraText {
            value: value.to_string(),
            extra: v.to_string(),
        });
    }
    if let Some(pm) = pm {
        if hour > 12 {
            return Err(out_of_range("hour"));
        }
        hour = match (pm, hour) {
            (true, h) if h < 12 => h + 12,
            (false, 12) => 0,
            (_, h) => h,
        };
    }
    if !(1..=12).contains(&month) {
        return Err(out_of_range("month"));
    }
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| out_of_range("day"))?;
    let naive = date
        .and_hms_nano_opt(hour, minute, second, nanos)
        .ok_or_else(|| out_of_range("hour"))?;
    let (instant, location) = match offset {
        Some(secs) => {
            let fixed = FixedOffset::east_opt(secs).ok_or_else(fail)?;
            let dt = fixed
                .from_local_datetime(&naive)
                .single()
                .ok_or_else(fail)?
                .with_timezone(&Utc);
            // Go keeps the location when it has that offset at that instant.
            let keep = loc.at(&dt).0 == secs;
            (
                dt,
                if keep {
                    loc
                } else if secs == 0 {
                    Location::Utc
                } else {
                    Location::Fixed(secs, String::new())
                },
            )
        }
        None => {
            let dt = match &loc {
                Location::Utc => Utc.from_utc_datetime(&naive),
                Location::Fixed(secs, _) => Utc.from_utc_datetime(
                    &naive
                        .checked_sub_signed(chrono::Duration::seconds(i64::from(*secs)))
                        .unwrap_or(naive),
                ),
                Location::Zone(tz) => tz
                    .from_local_datetime(&naive)
                    .earliest()
                    .map(|d| d.with_timezone(&Utc))
                    .unwrap_or_else(|| Utc.from_utc_datetime(&naive)),
            };
            (dt, loc)
        }
    };
    let _ = instant.offset().fix();
    Ok(GoTime { instant, location })
}

fn fraction_nanos(digits: &str) -> u32 {
    let mut padded = digits.chars().take(9).collect::<String>();
    while padded.len() < 9 {
        padded.push('0');
    }
    padded.parse().unwrap_or(0)
}

#[cfg(test)]
mod tests {

    #[test]
    fn parse_errors_have_their_kinds() {
        assert!(matches!(
            parse("2006-01-02", "2017-13-31", Location::Utc),
            Err(TimeParseError::OutOfRange { field: "month", .. })
        ));
        assert!(matches!(
            parse("2006-01-02", "nope", Location::Utc),
            Err(TimeParseError::Layout { .. })
        ));
        let err = parse("2006-01-02", "2017-12-31x", Location::Utc).unwrap_err();
        assert_eq!(
            err,
            TimeParseError::ExtraText {
                value: "2017-12-31x".into(),
                extra: "x".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "parsing time \"2017-12-31x\": extra text: \"x\""
        );
    }

    use super::*;

    fn t() -> GoTime {
        GoTime {
            instant: DateTime::from_timestamp(1560458379, 0).unwrap(),
            location: Location::Utc,
        }
    }

    #[test]
    fn formats_go_layouts() {
        assert_eq!(t().format("02 Jan 06 15:04 -0700"), "13 Jun 19 20:39 +0000");
        assert_eq!(t().format("2006-01-02"), "2019-06-13");
        assert_eq!(t().go_string(), "2019-06-13 20:39:39 +0000 UTC");
        assert_eq!(
            t().format("Monday, January 2 3:04PM MST"),
            "Thursday, June 13 8:39PM UTC"
        );
    }

    #[test]
    fn parses_layouts() {
        let p = parse("2006-01-02", "2017-12-31", Location::Utc).unwrap();
        assert_eq!(p.format("02/01/2006"), "31/12/2017");
        assert!(parse("2006-01-02", "2017-13-31", Location::Utc).is_err());
    }
}
