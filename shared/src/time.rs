//! Times in DTOs travel as RFC 3339 strings (chrono's format). On the server
//! chrono reads them; in the browser `parse_rfc3339` below does, because
//! chrono's general-purpose parser is ~16 KB of the SPA's wasm. Fields use
//! `#[serde(with = "crate::time::utc")]` (or `utc_option`, with `default`).

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, as chrono writes it (`t` and
/// `z` accepted too). `None` for anything else.
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let num = |at: usize, len: usize| -> Option<u32> {
        let digits = b.get(at..at + len)?;
        digits.iter().try_fold(0u32, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let sep = |at: usize, want: &[u8]| b.get(at).is_some_and(|c| want.contains(c));
    if b.len() < 20 || !sep(4, b"-") || !sep(7, b"-") || !sep(10, b"Tt") || !sep(13, b":") || !sep(16, b":") {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(num(0, 4)?).ok()?, num(5, 2)?, num(8, 2)?)?;
    let mut at = 19;
    let mut nanos = 0u32;
    if sep(at, b".") {
        let digits = b[at + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        // Nanoseconds: the first nine digits, padded.
        let kept = digits.min(9);
        nanos = num(at + 1, kept)? * 10u32.pow(9 - u32::try_from(kept).ok()?);
        at += 1 + digits;
    }
    // A leap second (:60) is chrono's :59 with a second's worth of nanoseconds.
    let (second, nanos) = match num(17, 2)? {
        60 => (59, nanos + 1_000_000_000),
        second => (second, nanos),
    };
    let time = date.and_hms_nano_opt(num(11, 2)?, num(14, 2)?, second, nanos)?;
    let offset_minutes = match b.get(at..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let minutes = i64::from(num(at + 1, 2)? * 60 + num(at + 4, 2)?);
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ => return None,
    };
    Some((time - TimeDelta::minutes(offset_minutes)).and_utc())
}

/// A required time field.
pub mod utc {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        t.serialize(s)
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        DateTime::<Utc>::deserialize(d)
    }

    #[cfg(target_arch = "wasm32")]
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::parse_rfc3339(&s).ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 time"))
    }
}

/// An optional time field (also give it `#[serde(default)]`).
pub mod utc_option {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::utc::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::utc")] DateTime<Utc>);
        Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(t)| t))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn reads_what_chrono_reads() {
        let now = Utc::now();
        let written = [
            serde_json::to_value(now).unwrap().as_str().unwrap().to_owned(),
            now.to_rfc3339(),
            "2026-11-29T05:49:00Z".to_owned(),
            "2026-11-29T05:49:00.5Z".to_owned(),
            "2026-11-29T05:49:00.123456789123z".to_owned(),
            "2026-02-28t23:59:59+05:30".to_owned(),
            "1999-12-31T23:59:60Z".to_owned(),
            "2026-01-01T00:30:00-01:15".to_owned(),
        ];
        for s in &written {
            assert_eq!(parse_rfc3339(s), DateTime::parse_from_rfc3339(s).ok().map(|t| t.to_utc()), "{s}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        for s in [
            "",
            "2026-11-29",
            "2026-11-29T05:49:00",
            "2026-11-29 05:49:00Z",
            "2026-02-30T05:49:00Z",
            "2026-11-29T25:49:00Z",
            "2026-11-29T05:49:00.Z",
            "2026-11-29T05:49:00+0530",
            "2026-11-29T05:49:00Zjunk",
            "２０26-11-29T05:49:00Z",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
    }
}

/// How long ago `then` was, in words: "just now", "5 minutes ago",
/// "2 hours ago", "3 days ago".
pub fn ago(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - then).num_seconds().max(0);
    let (n, unit) = match seconds {
        0..60 => return "just now".to_owned(),
        60..3_600 => (seconds / 60, "minute"),
        3_600..86_400 => (seconds / 3_600, "hour"),
        _ => (seconds / 86_400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod ago_tests {
    use super::*;

    #[test]
    fn ago_in_words() {
        let now = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let at = |s: i64| now - TimeDelta::seconds(s);
        assert_eq!(ago(at(5), now), "just now");
        assert_eq!(ago(at(-30), now), "just now");
        assert_eq!(ago(at(60), now), "1 minute ago");
        assert_eq!(ago(at(7_200), now), "2 hours ago");
        assert_eq!(ago(at(3 * 86_400 + 5), now), "3 days ago");
    }
}
